# One image, three roles, picked by ROLE at run time (server | worker | migrate):
#   docker build -t doc-inbox .                     (ROLE=server: the API; on the embedded DB it runs jobs too)
#   docker run -e ROLE=worker -e DATABASE_URL=... doc-inbox
#   docker build --target worker -t doc-inbox-worker .   (the same image with ROLE=worker preset)
# compose.yaml runs PostgreSQL, a one-shot migration, a server and two workers from it.
ARG NODE_IMAGE=node:24-bookworm-slim

# Production dependencies only, installed on their own (not pruned from a dev install).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# onnxruntime-node (PaddleOCR) bundles its CPU binaries; its install script would only fetch
# optional GPU ones from outside the npm registry (package.json's allowScripts denies it too).
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
# The other platforms' ONNX Runtime binaries are 220 MB this image never runs.
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32 \
  && npm cache clean --force

# Every dependency, to compile src/ into dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build

# What runs: production node_modules, dist/ and the migrations (read by dist/migrate.js and by
# every process at boot), as the unprivileged `node` user. No compiler, no dev dependency, no curl.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    ROLE=server \
    PORT=3000 \
    WORKER_HEALTH_PORT=3001 \
    DATA_DIR=/data
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY supabase/migrations ./supabase/migrations
COPY docker/entrypoint.sh docker/healthcheck.mjs ./docker/
RUN mkdir -p /data && chown node:node /data
USER node
# 3000: the server's API; 3001: a worker's /health and /health/ready (WORKER_HEALTH_PORT).
EXPOSE 3000 3001
# The embedded database (a server without DATABASE_URL) and BLOB_STORE=filesystem live here.
VOLUME ["/data"]
# Per ROLE: the server's PORT or the worker's WORKER_HEALTH_PORT, /health/ready; migrate: healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "docker/healthcheck.mjs"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]

FROM runtime AS worker
ENV ROLE=worker

FROM runtime AS migrate
ENV ROLE=migrate

# The default target (last stage): the server.
FROM runtime AS server
ENV ROLE=server
