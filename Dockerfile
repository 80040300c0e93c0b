# Production image: daphne serves HTTP and WebSockets; the same image runs the Celery worker and beat.
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
EXPOSE 8000
# -v 0: daphne's own access log (full paths and query strings) off, Lantern logs requests itself;
# --no-server-name: no Server header. No --proxy-headers: daphne would take the leftmost
# X-Forwarded-For, which any client writes; project.proxy trusts TRUSTED_PROXY_COUNT hops from the right.
CMD ["daphne", "-v", "0", "--no-server-name", "-b", "0.0.0.0", "-p", "8000", "project.asgi:application"]
