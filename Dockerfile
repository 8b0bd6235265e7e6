# syntax=docker/dockerfile:1
#
# Confluence images. One Dockerfile; one final stage (target) per service:
#   docker build --target analyzer  -t confluence-analyzer .
#   docker build --target web       -t confluence-web .
#   docker build --target simulator -t confluence-simulator .
# docker-compose.yml builds them for you (see the commands at its top).
#
# Stages: toolchain (compiler for better-sqlite3) → build (all deps, tsc -b) and prod-deps
# (production deps only) → runtime (dist/ + package.json of each workspace + static files +
# production node_modules, non-root) → analyzer / web / simulator (entry point and port).
#
# Signals: tini is PID 1 and forwards SIGTERM/SIGINT to node; both services handle SIGTERM
# themselves (close the HTTP server and Memcached, flush SQLite) and exit within the
# stop_grace_period compose gives them. So `docker run` needs no --init and compose no `init:`.
#
# test/ops/runtime-tree.test.ts reads the COPY --from=build lines below: it checks that every
# path exists after `tsc -b` and starts the services from a tree assembled the same way. Keep
# one path per COPY line.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS toolchain
# better-sqlite3 is a native addon: when no prebuilt binary can be downloaded it compiles with
# node-gyp, which needs python3, make and g++ (and uses the headers shipped in the node image).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /app
# Manifests only, so the dependency layers stay cached until a package.json or the lockfile changes.
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/bybit-wire/package.json packages/bybit-wire/
COPY packages/logger/package.json packages/logger/
COPY packages/config/package.json packages/config/
COPY packages/cache/package.json packages/cache/
COPY packages/confluence/package.json packages/confluence/
COPY packages/testkit/package.json packages/testkit/
COPY services/analyzer/package.json services/analyzer/
COPY services/web/package.json services/web/
COPY services/simulator/package.json services/simulator/
COPY scripts/package.json scripts/

# ---------------------------------------------------------------------------------------------
FROM toolchain AS build
# Every dependency (TypeScript included); npm runs better-sqlite3's install script (npm 10, in
# this image, runs all install scripts; npm 11 runs those the root package.json's allowScripts lists).
RUN npm ci
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY services services
COPY scripts scripts
# Only the projects the images run: the services, the browser client and the simulator.
RUN npx tsc -b services/analyzer services/web services/web/client services/simulator

# ---------------------------------------------------------------------------------------------
FROM toolchain AS prod-deps
# Production dependencies only (no TypeScript, jest, swc): the node_modules the runtime ships.
# Workspace packages (@confluence/*) are symlinks into packages/ and services/, which the
# runtime stage fills with each workspace's package.json and dist/.
RUN npm ci --omit=dev

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    TMPDIR=/tmp
WORKDIR /app
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=build /app/package.json package.json
COPY --from=build /app/packages/contracts/package.json packages/contracts/package.json
COPY --from=build /app/packages/contracts/dist packages/contracts/dist
COPY --from=build /app/packages/bybit-wire/package.json packages/bybit-wire/package.json
COPY --from=build /app/packages/bybit-wire/dist packages/bybit-wire/dist
COPY --from=build /app/packages/logger/package.json packages/logger/package.json
COPY --from=build /app/packages/logger/dist packages/logger/dist
COPY --from=build /app/packages/config/package.json packages/config/package.json
COPY --from=build /app/packages/config/dist packages/config/dist
COPY --from=build /app/packages/cache/package.json packages/cache/package.json
COPY --from=build /app/packages/cache/dist packages/cache/dist
COPY --from=build /app/packages/confluence/package.json packages/confluence/package.json
COPY --from=build /app/packages/confluence/dist packages/confluence/dist
COPY --from=build /app/services/analyzer/package.json services/analyzer/package.json
COPY --from=build /app/services/analyzer/dist services/analyzer/dist
COPY --from=build /app/services/web/package.json services/web/package.json
COPY --from=build /app/services/web/dist services/web/dist
COPY --from=build /app/services/web/static services/web/static
COPY --from=build /app/scripts/package.json scripts/package.json
COPY --from=build /app/services/simulator/package.json services/simulator/package.json
COPY --from=build /app/services/simulator/dist services/simulator/dist
COPY scripts/docker/healthcheck.cjs scripts/docker/healthcheck.cjs
# The analyzer's SQLite directory. Created here, owned by node, so a fresh named volume mounted
# on it inherits that ownership and the non-root process can write to it.
RUN mkdir -p /data && chown node:node /data
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]

# ---------------------------------------------------------------------------------------------
FROM runtime AS analyzer
ENV DATA_DIR=/data \
    ANALYZER_PORT=8003
EXPOSE 8003
CMD ["node", "services/analyzer/dist/main.js"]

FROM runtime AS simulator
ENV SIM_HOST=0.0.0.0 \
    SIM_PORT=8010
EXPOSE 8010
CMD ["node", "services/simulator/dist/main.js"]

# Last, so a plain `docker build .` gives the web image.
FROM runtime AS web
ENV WEB_HOST=0.0.0.0 \
    WEB_PORT=8001
EXPOSE 8001
CMD ["node", "services/web/dist/main.js"]
