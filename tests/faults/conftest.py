"""The fault suite's figures, printed at the end of the run whether it passed or not."""

from __future__ import annotations

import pytest

FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.write_sep("-", "fault suite")
        for line in FIGURES:
            terminalreporter.write_line(line)
