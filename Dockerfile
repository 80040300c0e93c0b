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
    BLIND_INDEX_KEY=build python manage.py collectstatic --noinput
RUN useradd --system --uid 10001 lantern
USER lantern
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", "project.asgi:application"]
