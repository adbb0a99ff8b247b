# One image for every part of the suite (the five services, the gateway and the sandbox): they
# share the one lock, so one image built once serves them all and compose picks the part with
# PART and PORT. Build from the repository root:
#   docker build -t guanwei .                                    (a public slim Python image)
#   docker build --build-arg BASE_IMAGE=guanwei/python:3.11-bookworm -t guanwei .   (`make images`)
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
# var/wheels is the wheelhouse `make images` fills on the host when the build cannot reach the
# package index; absent, pip downloads. Either way only the run-time part of the lock, by hash.
COPY requirements.lock deploy/images/runtime_requirements.py var/wheel[s] ./
RUN python3 runtime_requirements.py requirements.lock \
        servicekit wechat accounts traffic weather socialsec inspection gateway sandbox >runtime.lock \
    && python3 -m venv /opt/venv \
    && if ls ./*.whl >/dev/null 2>&1; then set -- --no-index --find-links .; fi \
    && /opt/venv/bin/pip install --require-hashes --no-deps --only-binary=:all: "$@" -r runtime.lock \
    && /opt/venv/bin/pip uninstall --yes --quiet pip setuptools
# Every member's sources on one import path, as the editable installs of `make install` do;
# compiled here because the parts run as a user who cannot write bytecode beside them.
COPY libs/servicekit/src libs/wechat/src services/accounts/src services/traffic/src \
     services/weather/src services/socialsec/src services/inspection/src gateway/src sandbox/src \
     /app/lib/
RUN /opt/venv/bin/python -m compileall -q /app/lib

FROM ${BASE_IMAGE}
# Charts, maps and PDFs draw Chinese: a font with the glyphs (in no slim base image).
RUN if ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-wqy-microhei \
        && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin; \
    fi \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home guanwei \
    && mkdir -p /app/var/keys /app/.matplotlib && chown -R guanwei:guanwei /app/var /app/.matplotlib
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/lib /app/lib
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app/lib PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/app/.matplotlib PART=gateway PORT=8000
WORKDIR /app
USER guanwei
# matplotlib's font list, made once here rather than by every container's first chart (seconds).
RUN python -c "import matplotlib.font_manager"
HEALTHCHECK --interval=5s --timeout=3s --retries=30 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz')"
# exec: the part is PID 1 and gets compose's SIGTERM.
CMD exec python -m "$PART" serve --host 0.0.0.0 --port "$PORT"
