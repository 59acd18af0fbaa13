# syntax=docker/dockerfile:1
# One image for the hub and APA: the project's wheel (code, templates, catalogues, the DSFR,
# migrations) installed with the locked runtime dependencies; nothing else is copied.
#   docker build -t identite-publique .
#   hub: the default command; APA: `apa serve --host 0.0.0.0 --port 8001` with
#   HEALTHCHECK_URL=http://127.0.0.1:8001/healthz (see compose.yaml).
# tests/packaging/test_wheel.py proves the same install from outside the checkout.

FROM python:3.11-slim AS build
ENV UV_PYTHON_DOWNLOADS=never PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY . .
RUN uv build --wheel -o /dist \
 && uv export --frozen --no-dev --no-emit-project -o /dist/requirements.txt

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The wheel alone (--no-deps), after its dependencies pinned with their hashes by uv.lock.
RUN --mount=type=bind,from=build,source=/dist,target=/dist \
    pip install --no-cache-dir -r /dist/requirements.txt \
 && pip install --no-cache-dir --no-deps /dist/*.whl
# A user without privileges; the folders volumes mount over exist and belong to it, so that
# named volumes start writable (keys, SQLite files, APA's files).
RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/idp --create-home idp \
 && install -d -o idp -g idp /var/lib/idp/keys /var/lib/idp/var /var/lib/idp/apa-files
USER idp
WORKDIR /var/lib/idp
ENV HEALTHCHECK_URL=http://127.0.0.1:8000/healthz
EXPOSE 8000 8001
# python:3.11-slim has no curl: the check is a urllib request (non-2xx or no answer: unhealthy).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['HEALTHCHECK_URL'], timeout=4)"]
CMD ["idp", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
