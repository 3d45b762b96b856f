"""Reports for people (报表): the auditors' report rendered as a table, JSON, CSV or an HTML page, and
the ledger verification. Shared by `onething audit` and the portal's /audit; the figures themselves
are domain/audit/, the use case that loads and computes them is services/audit_report.py."""
