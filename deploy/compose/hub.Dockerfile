# The hub: Dagster webserver + daemon (schedules, the inbox sensor) over the project.
FROM python:3.11-slim
ENV UV_PYTHON_DOWNLOADS=never PIP_NO_CACHE_DIR=1
RUN pip install "uv==0.13.9"
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY pipelines pipelines
COPY connectors connectors
COPY catalog catalog
COPY workspace.yaml ./
RUN uv sync --frozen --no-dev
EXPOSE 3000
CMD ["sh", "-c", "uv run --no-sync dagster-daemon run & exec uv run --no-sync dagster-webserver -w workspace.yaml -h 0.0.0.0 -p 3000"]
