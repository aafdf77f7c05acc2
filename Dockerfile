# One build, two roles:
#   docker build --target server -t doc-inbox .      (HTTP API; runs the worker too on the embedded DB)
#   docker build --target worker -t doc-inbox-worker . (claims jobs from DATABASE_URL)
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# onnxruntime-node (PaddleOCR) bundles its CPU binaries; its install script would only fetch
# optional GPU ones from outside the npm registry (package.json's allowScripts denies it too).
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
# The other platforms' ONNX Runtime binaries are 220 MB this image never runs.
RUN npm run build && npm prune --omit=dev \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY supabase ./supabase
RUN mkdir -p /data && chown node:node /data
USER node

FROM runtime AS worker
# Only /health and /health/ready on this port: the probes of the worker container.
ENV WORKER_HEALTH_PORT=3001
EXPOSE 3001
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+process.env.WORKER_HEALTH_PORT+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/worker.js"]

FROM runtime AS server
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
