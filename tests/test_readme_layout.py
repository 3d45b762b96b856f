"""README's layout section matches the tree: every folder and top-level module the product tracks is
listed, and every file or folder the section names is there (a rename that forgets the README fails)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_PRODUCT = {".ci", ".gitignore", "Dockerfile", "Makefile", "README.md", "compose.yaml", "pyproject.toml"}


def layout() -> dict[str, str]:
    """The layout block, by the entry each paragraph starts with ("domain/", "worker.py")."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    entries: dict[str, str] = {}
    current = ""
    for line in block.splitlines():
        if line and not line.startswith(" "):
            current, _, rest = line.partition(" ")
            entries[current] = rest
        elif current:
            entries[current] += " " + line.strip()
    return entries


def tracked() -> set[str]:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
    ).stdout.split()
    return {f.split("/")[0] + ("/" if "/" in f else "") for f in files}


def test_every_folder_and_top_level_module_is_in_the_layout():
    entries = layout()
    product = {name for name in tracked() if name.rstrip("/") not in NOT_PRODUCT}
    listed = set(entries)
    # Top-level modules may share a paragraph: settings.py's names codec.py, logs.py, secret_files.py.
    for text in entries.values():
        listed |= {m for m in re.findall(r"\b[a-z_]+\.py\b", text) if (ROOT / m).is_file()}
    assert product - listed == set(), "README layout misses these"
    assert {e for e in entries if not (ROOT / e).exists()} == set(), "README layout names what is not there"


def test_every_file_and_folder_the_layout_names_exists_in_its_folder():
    missing = []
    for entry, text in layout().items():
        base = ROOT / entry if entry.endswith("/") else ROOT
        for name in re.findall(r"(?<![\w/.<])([a-z_]+(?:/[a-z_]+)*(?:\.py|\.md|/))(?=[\s,;:)]|$)", text):
            candidates = [base / name, ROOT / name]
            found = any(c.exists() for c in candidates) or any(base.rglob(name.rstrip("/")))
            if not found:
                missing.append(f"{entry} {name}")
    assert missing == []
