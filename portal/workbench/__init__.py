"""The web workbench (工作台): server-rendered pages for officers, supervisors, auditors and applicants."""
