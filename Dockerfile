# syntax=docker/dockerfile:1
# Switchboard image. Targets:
#   runtime (default)  the daemon, non-root, no browser
#   whatsapp           the same plus Debian's Chromium for the WhatsApp Web channel
# docker build -t switchboard .            docker build --target whatsapp -t switchboard:whatsapp .

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS base
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
# The embedded database's migrated template, so the first start on an empty volume takes a file copy, not initdb.
RUN node dist/cli.js prepare-embedded
RUN groupadd --system switchboard \
  && useradd --system --gid switchboard --home-dir /var/lib/switchboard --shell /usr/sbin/nologin switchboard \
  && install -d -o switchboard -g switchboard -m 0750 /var/lib/switchboard
# Listens on the container's interface; publish the port on the host's loopback and put a TLS proxy in front.
ENV SWITCHBOARD_DATA_DIR=/var/lib/switchboard HOST=0.0.0.0 PORT=8080
VOLUME ["/var/lib/switchboard"]
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]

FROM base AS whatsapp
USER root
RUN apt-get update \
  && apt-get install -y --no-install-recommends chromium fonts-liberation \
  && rm -rf /var/lib/apt/lists/*
ENV CHROMIUM_PATH=/usr/bin/chromium PUPPETEER_SKIP_DOWNLOAD=true
USER switchboard

FROM base AS runtime
USER switchboard
