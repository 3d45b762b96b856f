"""/docs and /redoc work without internet access: every asset they reference is served by the portal
from the installed package, and none comes from another host."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from portal.app import create_app
from tests.portal.conftest import portal_config, portal_settings

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""")
ANY_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_reference_no_external_host_and_their_assets_are_served(tmp_path: Path, page: str):
    app = create_app(portal_settings(tmp_path, "q"), config=portal_config(tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as http:
        response = await http.get(page)
        assert response.status_code == 200
        html = response.text
        assert not ANY_URL.search(html), f"{page} names another host: {ANY_URL.findall(html)}"
        references = {a or b for a, b in REFERENCE.findall(html)}
        assert {r for r in references if r.startswith("/docs/assets/")}, references
        for reference in references:
            assert reference.startswith("/"), reference
            asset = await http.get(reference)
            assert asset.status_code == 200 and asset.content, reference
        # The scripts the page loads by name (not as src=) are served too.
        for script in re.findall(r"/docs/assets/[\w.-]+", html):
            assert (await http.get(script)).status_code == 200, script
        assert (await http.get("/openapi.json")).status_code == 200
