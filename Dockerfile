# syntax=docker/dockerfile:1
# The image of any one service, named by the SERVICE build argument (its folder under services/), which listens
# on PORT (its own default port, so that the image says which port it serves and its health check asks):
#   docker build --build-arg SERVICE=content --build-arg PORT=4002 -t gram-content .
# Built from the repository's root: the image needs the workspace's other packages. docker-compose.yml builds
# and configures every service so; each one's environment variables are listed in services/<SERVICE>/src/main.ts.

FROM node:20-slim AS build
ARG SERVICE
ARG PORT
RUN test -n "$SERVICE" -a -n "$PORT" \
  || { echo 'build with --build-arg SERVICE=<folder of services/> --build-arg PORT=<its port>' >&2; exit 1; }
# better-sqlite3 (the SQLite event store) compiles from source when no prebuilt binary can be fetched.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
RUN npm install --global --no-fund --no-audit pnpm@9.15.9
WORKDIR /repo
# The package store is filled from the lockfile alone: this layer is rebuilt only when the lockfile changes,
# and is the same for every service.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
# kafkajs is patched (package.json, patches/): pnpm hashes the patch file as soon as it reads the lockfile.
COPY patches ./patches
RUN pnpm fetch
COPY . .
# The service with its production dependencies only, the workspace packages it uses copied in (their
# TypeScript sources: every package exports ./src/index.ts and runs with tsx, as outside a container).
RUN pnpm --filter "./services/${SERVICE}" deploy --prod --offline /app

FROM node:20-slim
ARG PORT
# tsx runs the TypeScript as `pnpm start` does outside a container (same version as the lockfile's).
RUN npm install --global --no-fund --no-audit tsx@4.23.15
ENV NODE_ENV=production
# DATA_DIR: identity's signing key (without IDENTITY_SIGNING_KEY), media's files on disk (without S3), the
# SQLite event store (without EVENT_STORE_URL): mount a volume there where it is used.
ENV PORT=${PORT} DATA_DIR=/data
EXPOSE ${PORT}
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /data && chown node:node /data
USER node
# The relay serves no API, only /metrics and /health, on METRICS_PORT; every other service on PORT.
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=10 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.METRICS_PORT || process.env.PORT) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["tsx", "src/main.ts"]
