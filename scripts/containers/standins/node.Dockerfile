# Stand-in for node:20-bookworm-slim: Debian bookworm minbase with the host's node and npm,
# and the `node` user (uid 1000) the official image has.
FROM orghub-standin/bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/sh node
CMD ["node"]
