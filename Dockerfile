# The Assay service image (API and worker share it; docker-compose.yml picks the command).
# NODE_IMAGE: the locally built Node runtime (assay-node:latest, from scripts/build-images.sh)
# where no registry is reachable, or an official image such as node:20-bookworm-slim.
# node_modules come from the build context (scripts/setup.sh ran `npm ci` on the host, with the
# host's proxy CA), so no registry access or CA bundle is needed inside the build.
ARG NODE_IMAGE=assay-node:latest
FROM ${NODE_IMAGE}
USER root
# git for the fetch stage, and util-linux for its privilege drop (setpriv, prlimit). util-linux is
# essential in Debian, but named here so a base image without it fails the build, not the first
# job (Debian's package mirror is enough).
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git ca-certificates util-linux \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY node_modules ./node_modules
COPY api ./api
COPY runner ./runner
COPY challenges ./challenges
COPY sandbox-images ./sandbox-images
COPY scripts ./scripts
COPY bin ./bin
ENV NODE_ENV=production HOME=/app
# The worker talks to the Docker engine through the mounted socket; that is the privileged part.
ENTRYPOINT []
CMD ["node", "--import", "tsx", "api/main.ts"]
