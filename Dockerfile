# The production image: web, worker and beat run from it with different commands (compose.yaml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ZUNFT_VAR_DIR=/var/lib/zunft DEBUG=false \
    NUMBA_CACHE_DIR=/var/lib/zunft/cache/numba

RUN apt-get update \
 && apt-get install -y --no-install-recommends gdal-bin libgdal32 libgeos-c1v5 gettext fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY zunft ./zunft
COPY trades ./trades
COPY customers ./customers
COPY jobs ./jobs
COPY scheduling ./scheduling
COPY invoicing ./invoicing
COPY locale ./locale
COPY manage.py ./
RUN pip install --no-cache-dir . \
 && SECRET_KEY=build-only python manage.py compilemessages -v0 \
 && SECRET_KEY=build-only python manage.py collectstatic --noinput -v0 \
 && useradd --system --home /var/lib/zunft zunft && mkdir -p /var/lib/zunft/media \
 && chown -R zunft /var/lib/zunft

USER zunft
EXPOSE 8000
CMD ["uvicorn", "zunft.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
