# Python 3.11 from Debian's packages: the suite's base image where no image registry is reachable
# (`make images`). python3-venv brings ensurepip, which the build stage needs for pip.
ARG DEBIAN_IMAGE=guanwei/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
CMD ["python3"]
