# Confluence images. One Dockerfile; one final stage (target) per service:
#   docker build --target analyzer  -t confluence-analyzer .
#   docker build --target web       -t confluence-web .
#   docker build --target simulator -t confluence-simulator .
# docker-compose.yml builds them for you (see the commands at its top). No `# syntax=` line: the
# builder's own Dockerfile frontend is enough, so a build needs no image registry for it.
# Base image: NODE_IMAGE (official node:20-bookworm-slim by default; npm run test:containers builds
# an equivalent one locally, see scripts/docker/base/).
#
# Stages: manifests and sources (context files gathered on an empty base) → toolchain (compiler
# for better-sqlite3) → build (all deps, tsc -b) and prod-deps
# (production deps only) → app (dist/ + package.json of each workspace + static files +
# production node_modules, on an empty base) → runtime (the node image + tini + app, non-root)
# → analyzer / web / simulator (entry point and port).
#
# Signals: tini is PID 1 and forwards SIGTERM/SIGINT to node; both services handle SIGTERM
# themselves (close the HTTP server and Memcached, flush SQLite) and exit within the
# stop_grace_period compose gives them. So `docker run` needs no --init and compose no `init:`.
#
# test/ops/runtime-tree.test.ts reads scripts/docker/runtime-paths (what the build stage hands the
# runtime) and the `app` stage's COPY lines: it checks that every path exists after `tsc -b` and
# starts the services from a tree assembled the same way.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM scratch AS manifests
# Manifests only, so the dependency layers stay cached until a package.json or the lockfile changes.
# Gathered on an empty base (tiny layers) and taken into the toolchain in one layer: on storage
# drivers that copy whole layers (vfs) every COPY onto a full image costs a copy of that image.
WORKDIR /app
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
COPY bench/package.json bench/

# ---------------------------------------------------------------------------------------------
FROM scratch AS sources
# The sources tsc compiles, gathered the same way.
WORKDIR /app
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY services services
COPY scripts scripts

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
COPY --from=manifests /app /app

# ---------------------------------------------------------------------------------------------
FROM toolchain AS build
# Every dependency (TypeScript included); npm runs better-sqlite3's install script (npm 10, in
# this image, runs all install scripts; npm 11 runs those the root package.json's allowScripts lists).
RUN npm ci
COPY --from=sources /app /app
# Only the projects the images run: the services, the browser client and the simulator.
RUN npx tsc -b services/analyzer services/web services/web/client services/simulator
# The browser client, bundled with content-hashed names (services/web/dist/public).
RUN node services/web/build-client.cjs
# What the runtime takes from here, gathered into /runtime in one step (one COPY --from per path
# cost a full pass over this stage each on vfs): the list is scripts/docker/runtime-paths.
RUN mkdir /runtime \
 && grep -v -e '^#' -e '^$' scripts/docker/runtime-paths | xargs cp -r --parents -t /runtime

# ---------------------------------------------------------------------------------------------
FROM toolchain AS prod-deps
# Production dependencies only (no TypeScript, jest, swc): the node_modules the runtime ships.
# Workspace packages (@confluence/*) are symlinks into packages/ and services/, which the
# runtime stage fills with each workspace's package.json and dist/.
RUN npm ci --omit=dev

# ---------------------------------------------------------------------------------------------
FROM scratch AS app
# The runtime image's /app, assembled on an empty base so each COPY layer holds only what it adds
# (on storage drivers that copy whole layers, such as vfs, this keeps the build fast and small) and
# the runtime stage takes it in one layer. The production node_modules comes last: it is the large part.
WORKDIR /app
COPY --from=build /runtime /app
COPY scripts/docker/healthcheck.cjs scripts/docker/healthcheck.cjs
COPY --from=prod-deps /app/node_modules node_modules

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# The analyzer's SQLite directory is created here, owned by node, so a fresh named volume mounted
# on it inherits that ownership and the non-root process can write to it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown node:node /data
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    TMPDIR=/tmp
WORKDIR /app
COPY --from=app /app /app
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
