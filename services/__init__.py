"""Use cases (the service layer): what an entry point (CLI, portal, worker) asks for, composed from
domain/ rules and store/ or Temporal adapters — the auditors' report, the ledger rebuild, the outbox
relay."""
