# Production image: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=marketing.settings.production VAR_DIR=/srv/var STATIC_ROOT=/srv/static
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
RUN pip install --upgrade pip && pip install --require-hashes -r requirements.lock
COPY . .
RUN SECRET_KEY=build-only-key-build-only-key-build-only-key-0123456789 FIELD_ENCRYPTION_KEY=build \
    python manage.py collectstatic --noinput -v 0 \
 && useradd --create-home --uid 1000 app && mkdir -p /srv/var && chown -R app /srv/var
USER app
EXPOSE 8000
CMD ["gunicorn", "marketing.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
