# The hub's image: the locked dependencies, the code, `idp serve`.
FROM python:3.11-slim
WORKDIR /app
ENV UV_PYTHON_DOWNLOADS=never PYTHONDONTWRITEBYTECODE=1
COPY pyproject.toml uv.lock README.md ./
COPY idp ./idp
COPY clients ./clients
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir uv==0.13.9 && uv sync --frozen --no-dev
EXPOSE 8000
CMD [".venv/bin/idp", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
