# Two entry points a newcomer needs: `make run` (the embedded stack with sample cases) and
# `make test` (everything CI checks). Both create the virtualenv from nothing on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test system-deps lint typecheck pytest audit audit-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# Options of `onething up` through ARGS, e.g. make run ARGS="--portal-port 8001" (or --verbose).
run: $(STAMP)
	$(BIN)/onething up --demo $(ARGS)

test: system-deps lint typecheck pytest audit-deps

# Debian packages some tests drive: docker-compose validates compose.yaml, chromium loads the Temporal UI
# and the audit report, faketime pins the time-skipping server's clock to a fixed date. Installed when missing and we may (root with apt); otherwise those tests skip.
SYSTEM_PACKAGES := docker-compose chromium faketime
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null) \
	      || echo "Could not install$$missing: the tests that need them will be skipped"; \
	  else echo "Missing system packages:$$missing: the tests that need them will be skipped"; fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Two workers (pytest-xdist): most tests wait on servers and timers, so both cores stay busy. One
# process with PYTEST_JOBS=0.
PYTEST_JOBS ?= 2
pytest: $(STAMP)
	$(BIN)/pytest $(if $(filter 0,$(PYTEST_JOBS)),,-n $(PYTEST_JOBS)) $(PYTEST_ARGS)

# Known vulnerabilities in the installed packages (pip-audit, PyPI's advisories). Fails on a vulnerable
# package; where the advisory service cannot be reached it prints a WARNING that nothing was audited.
audit-deps: $(STAMP)
	$(BIN)/python -m tests.security.audit_deps $(BIN)/pip-audit --skip-editable --progress-spinner off

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
