# Redis from Debian's packages, standing in for the public redis image where no image registry
# is reachable (`make images`). Like the public image it listens on every address without
# protected mode (compose's network is its only client) and keeps nothing on disk.
ARG DEBIAN_IMAGE=guanwei/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
USER redis
EXPOSE 6379
HEALTHCHECK --interval=5s --timeout=3s --retries=30 CMD ["redis-cli", "ping"]
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
