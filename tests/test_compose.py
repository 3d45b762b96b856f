"""compose.yaml is valid for docker-compose and wired the way the code expects."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from workflows import search_attributes

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = shutil.which("docker-compose")


@pytest.mark.skipif(COMPOSE is None, reason="Debian's docker-compose is not installed (make system-deps)")
def test_docker_compose_config_accepts_the_file(tmp_path: Path):
    tokens = tmp_path / "tokens.json"
    tokens.write_text('{"tokens": []}')
    result = subprocess.run(
        [str(COMPOSE), "-f", str(ROOT / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "ONETHING_TOKENS_FILE": str(tokens), "ONETHING_WORKERS": "3"},
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert {"postgresql", "temporal", "temporal-setup", "temporal-ui", "worker", "portal"} <= set(services)
    assert services["worker"]["deploy"]["replicas"] == 3
    for name in ("worker", "portal"):
        env = services[name]["environment"]
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    # Health: the worker's SDK metrics endpoint, the portal's readiness; both are what they probe.
    assert services["worker"]["environment"]["ONETHING_METRICS_ADDRESS"] == "0.0.0.0:9464"
    assert "9464/metrics" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "8000/readyz" in " ".join(services["portal"]["healthcheck"]["test"])
    # The worker's own variable came on top of the shared ones, not instead of them.
    assert services["worker"]["environment"]["ONETHING_ENV"] == "production"
    # The Temporal frontend is reachable inside the network only (issue 17): nothing publishes 7233.
    for name, service in services.items():
        published = [str(port.get("published", "")) if isinstance(port, dict) else str(port)
                     for port in service.get("ports", [])]  # fmt: skip
        assert not any("7233" in port for port in published), (name, published)
    assert services["temporal-ui"]["environment"]["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"


def test_the_temporal_frontend_is_not_published_beyond_the_network():
    """Without docker-compose too: the file itself publishes no 7233 and exposes it inside."""
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    for name, service in services.items():
        assert not any("7233" in str(port) for port in service.get("ports", [])), name
    assert "7233" in [str(port) for port in services["temporal"]["expose"]]


def test_compose_registers_every_search_attribute_the_workflows_use():
    text = (ROOT / "compose.yaml").read_text()
    for key in search_attributes.ALL:
        assert f"{key.name}:{key.indexed_value_type.name.title()}" in text
