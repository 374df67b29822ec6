# The claimwatch image: beat and workers run from it with different commands (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CLAIMWATCH_CONFIG=/app/config/watchlist.yaml
WORKDIR /app

COPY pyproject.toml README.md ./
COPY worker ./worker
RUN pip install . && useradd --create-home --uid 1000 claimwatch \
    && mkdir -p /app/data && chown claimwatch /app/data
COPY config ./config
COPY seeds ./seeds

USER claimwatch
CMD ["celery", "-A", "worker.celery_app", "worker", "--loglevel", "INFO"]
