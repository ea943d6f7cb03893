# Engram: one image for every process; the command picks it (api, worker, migrate, doctor).
#   docker build -t engram .
#   docker run engram api        (the default)   docker run engram worker   docker run engram migrate

FROM node:20-bookworm-slim AS build
WORKDIR /app
# isolated-vm (the JavaScript tool sandbox) compiles a native addon.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The same build as everywhere else (swc into dist/), then only runtime dependencies.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# python3 runs Python tools in the sandbox.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8283 ENGRAM_DATA_DIR=/app/.engram
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# Files stay root-owned (read-only to the process); only the data folder belongs to it.
RUN mkdir -p /app/.engram && chown node:node /app/.engram
USER node
EXPOSE 8283 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8283)+'/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/engram.js"]
CMD ["api"]
