#!/bin/sh
# The container's entrypoint: runs the role ROLE names, as PID 1 (exec), so SIGTERM reaches Node
# and the worker hands its jobs back before it exits. The server's V8 flag: a young generation of
# at most 8 MB, so a major GC does not run every 200 ms (see SERVER_NODE_FLAGS in
# test/support/entrypoint-process.ts).
set -eu
cd "$(dirname "$0")/.."
case "${ROLE:-server}" in
  server) exec node --max-semi-space-size=8 dist/main.js "$@" ;;
  worker) exec node dist/worker.js "$@" ;;
  migrate) exec node dist/migrate.js "$@" ;;
  cli) exec node dist/cli.js "$@" ;;
  *)
    echo "ROLE=${ROLE} is not a role: use server, worker, migrate or cli" >&2
    exit 64
    ;;
esac
