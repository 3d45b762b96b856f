"""Secret files: made once with mode 0600, never overwritten, refused when others may read them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from codec import codec_from_env
from secret_files import create_once, read_private


def test_made_once_0600_and_never_overwritten(tmp_path: Path):
    path = tmp_path / "keys" / "secret"
    create_once(path, lambda: "first")
    create_once(path, lambda: pytest.fail("a second secret was made"))
    assert read_private(path, "secret file") == "first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no temporary file left behind


def test_a_file_others_may_read_is_refused_naming_it(tmp_path: Path):
    path = tmp_path / "secret"
    create_once(path, lambda: "text")
    path.chmod(0o640)
    with pytest.raises(PermissionError, match=r"codec dev key file .* 0640"):
        read_private(path, "codec dev key file")


def test_the_codec_refuses_a_dev_key_others_may_read(tmp_path: Path):
    codec_from_env({}, tmp_path)  # makes the dev key
    [key_file] = [p for p in tmp_path.iterdir() if p.is_file()]
    key_file.chmod(0o644)
    with pytest.raises(PermissionError):
        codec_from_env({}, tmp_path)
