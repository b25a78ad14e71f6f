"""WSGI entry point: ``gunicorn webapp.wsgi:app`` (several stateless workers on PostgreSQL)."""
from webapp import create_app

app = create_app()
