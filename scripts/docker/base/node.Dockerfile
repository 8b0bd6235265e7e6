# A Node 20 base image built without an image registry, for the container test (npm run test:containers)
# and for offline machines: the Debian bookworm root filesystem the test makes with debootstrap, plus
# this machine's own Node binary, npm and C headers under /usr/local (where the official node images keep
# them, and where the Dockerfile's npm_config_nodedir points node-gyp) and a `node` user, uid 1000.
# It also carries this machine's CA bundle, so npm inside a build trusts what npm on the machine trusts
# (a machine behind a TLS-inspecting proxy has its own CA in it).
# Build context: a directory holding bin/node, lib/node_modules/npm, include/node and ca-certificates.crt.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY bin/node /usr/local/bin/node
COPY include/node /usr/local/include/node
COPY lib/node_modules/npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
CMD ["node"]
