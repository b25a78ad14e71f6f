"""WSGI entry point: ``gunicorn webapp.wsgi:app`` (several stateless workers on PostgreSQL)."""
from engine import configure_logging
from webapp import create_app

configure_logging()  # gunicorn's workers log like the scheduler: JSON with JIUZHU_LOG_FORMAT=json

app = create_app()
