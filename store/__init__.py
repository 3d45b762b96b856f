"""Persistence adapter (SQLAlchemy 2, async): SQLite by default, PostgreSQL in production.

- `db`: engines, sessions, `migrate` (Alembic, `store/migrations`).
- `schema`: the tables.
- `registries`: registry snapshots (数据共享平台) — import and look-ups for pre-fill.
- `ledger`: the e-supervision ledger (行政效能电子监察), hash-chained per case.
- `licences`: issued e-licences, stored once per case and key, with their outbox messages.
- `outbox`: messages delivered after commit (归集, checkpoints, notices).
"""
