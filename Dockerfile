# syntax=docker/dockerfile:1
# One image for every role (ROLE=api|worker|all).

# The Node major the image ships. .ci/run reads this line and runs the test suites on the same major.
ARG NODE_MAJOR=22

FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
# Native modules (argon2, better-sqlite3) build here when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
# The admin console's own dependencies install with the server's (the root postinstall), so its
# manifests come first too.
COPY package.json package-lock.json ./
COPY web/package.json web/package-lock.json ./web/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
COPY web/index.html web/vite.config.ts web/tsconfig.json ./web/
COPY web/src ./web/src
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_MAJOR}-bookworm-slim AS runtime
# MALLOC_MMAP_THRESHOLD_: glibc otherwise keeps every freed block of a password hash's 19 MiB in
# its arenas, up to 19 MiB per libuv thread, for good after a few logins (bench/results/analysis.md).
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data \
    DATABASE_URL=sqlite:/app/data/openclaw.db \
    MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
# bubblewrap: the skills sandbox (SKILL_SANDBOX=auto needs it with NODE_ENV=production).
# tini: PID 1 that forwards SIGTERM to node and reaps the sandboxes' orphaned processes.
RUN apt-get update \
  && apt-get install -y --no-install-recommends bubblewrap tini \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node bin ./bin
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# bin/start: node with V8's young generation at its unconstrained size whatever the memory limit,
# and the old generation's growth held to about 2 × the live heap where no limit (or one of 4 GiB
# or more) would let it grow 4 × (the script says why).
CMD ["/bin/sh", "bin/start"]
