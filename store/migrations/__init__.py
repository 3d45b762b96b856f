"""Alembic migrations for the store (see env.py); not imported by the application."""
