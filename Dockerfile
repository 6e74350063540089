# syntax=docker/dockerfile:1

# ---- build: install everything, generate the Prisma client, type-check, compile to dist/, then drop
# dev dependencies (tsx, esbuild, TypeScript, Prisma's CLI): the runtime runs the compiled JavaScript.
FROM node:22.21.1-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY test/drift/package.json test/drift/package.json
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json codegen.ts ./
COPY scripts/build.mjs scripts/build.mjs
# postinstall runs `prisma generate` (src/generated/prisma), which needs prisma/ and prisma.config.ts,
# then scripts/build.mjs, which at this point compiles only the generated client, and builds the web
# console (web/dist) with Vite, a dev dependency: only this stage can build it.
COPY web ./web
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY test ./test
RUN npm run check \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node, osquery from osquery's own package repository, the app, a non-root user
FROM node:22.21.1-bookworm-slim AS runtime
# osquery's package signing key (https://osquery.io/downloads/official); the build stops if the
# downloaded key does not have this fingerprint.
ARG OSQUERY_KEY_FINGERPRINT=1484120AC4E9F8A1A577AEEE97A80C63C9D8B80B
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl gnupg; \
    install -d -m 0755 /etc/apt/keyrings; \
    curl -fsSL https://pkg.osquery.io/deb/pubkey.gpg -o /tmp/osquery.asc; \
    gpg --show-keys --with-colons /tmp/osquery.asc | grep -q "^fpr:::::::::${OSQUERY_KEY_FINGERPRINT}:"; \
    gpg --dearmor < /tmp/osquery.asc > /etc/apt/keyrings/osquery.gpg; \
    echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/osquery.gpg] https://pkg.osquery.io/deb deb main" \
      > /etc/apt/sources.list.d/osquery.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends osquery; \
    apt-get purge -y curl gnupg; \
    apt-get autoremove -y; \
    rm -rf /var/lib/apt/lists/* /tmp/osquery.asc; \
    osqueryi --version

WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/data \
    OSQUERY_BIN=/usr/bin/osqueryi
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/dist ./dist
# The console's production build; its source maps are served only with CONSOLE_SOURCE_MAPS=true.
COPY --from=build /app/web/dist ./web/dist
RUN install -d -o node -g node /data
# The image has no .git, so `--version` and the start log take the revision from here:
#   docker build --build-arg SOURCE_REVISION=$(git rev-parse HEAD) .
# Declared last so a new revision rebuilds only this layer.
ARG SOURCE_REVISION=""
ENV SOURCE_REVISION=${SOURCE_REVISION}
LABEL org.opencontainers.image.revision=${SOURCE_REVISION}
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly (not npm start) so SIGTERM reaches the service and shutdown is graceful.
CMD ["node", "dist/main.js"]
