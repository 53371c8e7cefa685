FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
# The apps, as pyproject's package list names them (bench and tests are not part of the product).
COPY policytracker ./policytracker
COPY caching ./caching
COPY jobs ./jobs
COPY measures ./measures
COPY progress ./progress
COPY finder ./finder
COPY importer ./importer
COPY comparisons ./comparisons
COPY referencedata ./referencedata
COPY alerts ./alerts
COPY webhooks ./webhooks
RUN pip install --no-cache-dir .

COPY . .
# Static files are collected at build time and served by whitenoise. DEBUG=0 refuses a weak
# SECRET_KEY, so this one-off step gets a random one of its own (the image keeps none).
RUN DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --no-input \
    && useradd --system --home /app policytracker
USER policytracker

EXPOSE 8000
ENTRYPOINT ["/app/docker-entrypoint.sh"]
CMD ["gunicorn", "policytracker.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
