# OrgHub server image. Classic-builder syntax only (no RUN --mount, heredocs or COPY --chmod),
# so `docker build` works on Docker 20.10 without BuildKit as well as on current Docker.

# ---- build: install everything, compile the server and the web app, then drop dev deps ----
FROM node:20-bookworm-slim AS build
# A corporate CA bundle for npm ci behind a TLS-intercepting proxy. It is used by this stage
# only (the runtime stage starts from a clean base), and never committed:
#   docker build --build-arg EXTRA_CA_CERTS="$(cat corporate-ca.pem)" .
ARG EXTRA_CA_CERTS=""
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/prepare.mjs scripts/prepare.mjs
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > /tmp/extra-ca.pem; \
      export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && npm ci --no-audit --no-fund --ignore-scripts \
 && rm -f /tmp/extra-ca.pem
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund && rm -rf /root/.npm

# ---- runtime: production dependencies and the built files, as the unprivileged `node` user ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/data \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/web/dist ./web/dist
COPY --from=build /src/drizzle ./drizzle
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# Node's own fetch: the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
