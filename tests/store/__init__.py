"""Tests of store/: every database test runs on SQLite and on PostgreSQL."""
