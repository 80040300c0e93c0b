# Production image: bin/serve-http (gunicorn) serves HTTP; the same image runs bin/serve-ws (daphne,
# WebSockets), the Celery worker and beat (docker-compose.yml). README "Production layout".
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBUG=False
WORKDIR /app
# WeasyPrint (PDF reports) lays text out with Pango; PDFs use only these local fonts, never web fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build ALLOWED_HOSTS=build FIELD_ENCRYPTION_KEYS=ZGV2LW9ubHktZmllbGQta2V5LWRvLW5vdC11c2UtISE= \
    BLIND_INDEX_KEY=build AUDIT_CHAIN_KEY=build EMAIL_URL=smtp://build python manage.py collectstatic --noinput
RUN useradd --system --uid 10001 lantern
USER lantern
EXPOSE 8000 8001
# Gunicorn with project/gunicorn_conf.py: no access log (paths name case numbers; Lantern logs
# requests itself), no Server header, no trust in X-Forwarded-* (project.proxy counts
# TRUSTED_PROXY_COUNT hops from the right of X-Forwarded-For, which the proxy appends to).
CMD ["bin/serve-http"]
