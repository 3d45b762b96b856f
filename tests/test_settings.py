"""Settings from the environment: defaults for the embedded stack, bad values named."""

from __future__ import annotations

import pytest

from cli.main import main
from settings import WORKFLOW_CACHE_DEFAULT, Settings


def test_the_workflow_cache_defaults_and_can_be_set(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ONETHING_WORKFLOW_CACHE", raising=False)
    assert Settings.from_env().workflow_cache == WORKFLOW_CACHE_DEFAULT
    monkeypatch.setenv("ONETHING_WORKFLOW_CACHE", "250")
    assert Settings.from_env().workflow_cache == 250


@pytest.mark.parametrize("value", ["0", "-5", "many", "1.5"])
def test_a_bad_workflow_cache_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
):
    monkeypatch.setenv("ONETHING_WORKFLOW_CACHE", value)
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert "ONETHING_WORKFLOW_CACHE" in err and "Traceback" not in err
