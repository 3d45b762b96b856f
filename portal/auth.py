"""Who is calling: bearer tokens bound to a role (and an officer's department), and applicant tokens.

Staff and system tokens ("portal", "officer", "supervisor", "auditor") are listed in a JSON file by
their SHA-256:

    {"tokens": [{"name": "officer:highway", "role": "officer", "department": "highway", "sha256": "…"}]}

An applicant token is not stored anywhere: it is HMAC-SHA256(secret, case_id), derived again on every
request, so a repeated submission hands out the same token and a leaked token opens one case only.
Tokens are never logged; only the role and the token's name appear in the request log.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import structlog

from portal.config import tokens_file_for
from secret_files import create_once, read_private

log = structlog.get_logger(__name__)

DEV_TOKENS_FILE: Final = "dev-tokens.json"
APPLICANT_SECRET_FILE: Final = "applicant-secret"  # noqa: S105 (a file name)
_MIN_SECRET_CHARS: Final = 32
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_FIXED_DEPARTMENTS: Final = frozenset({"highway", "road_transport", "urban_road", "police"})


class Role(StrEnum):
    PORTAL = "portal"  # 一网通办: submits applications
    OFFICER = "officer"  # a department's officer: answers its tasks
    AUDITOR = "auditor"  # 效能监察: reads
    SUPERVISOR = "supervisor"  # 督办: urges tasks, makes the 回访; sees every department's work
    APPLICANT = "applicant"  # the applicant of one case (derived token)


STAFF_ROLES: Final = frozenset({Role.PORTAL, Role.OFFICER, Role.AUDITOR, Role.SUPERVISOR})


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    department: str | None = None  # officers only
    case_id: str | None = None  # applicants only


def is_department(value: str) -> bool:
    """highway, urban_road, police, or province:<name> (another province's highway authority)."""
    if value in _FIXED_DEPARTMENTS:
        return True
    prefix, _, province = value.partition(":")
    return prefix == "province" and bool(province.strip()) and province == province.strip()


def token_hash(token: str) -> str:
    # A plain SHA-256 is enough: every token is 32 random bytes (256 bits), so nobody can guess a
    # preimage from a leaked file. Slow, salted hashes (argon2, bcrypt) defend low-entropy passwords.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


# --- staff and system tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    sha256: str
    principal: Principal


def parse_tokens(document: Any, source: str) -> list[_Entry]:
    """Entries of a tokens document; raises ValueError naming the bad entry and field."""
    if not isinstance(document, dict) or not isinstance(document.get("tokens"), list):
        raise ValueError(f'{source}: expected {{"tokens": [...]}}')
    entries = []
    for i, item in enumerate(document["tokens"]):
        where = f"{source}: tokens[{i}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected an object")
        name, role, department, digest = (item.get(k) for k in ("name", "role", "department", "sha256"))
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}.name: a non-empty name is required")
        if role not in {r.value for r in STAFF_ROLES}:
            raise ValueError(f"{where}.role: expected portal, officer, supervisor or auditor, got {role!r}")
        if role == Role.OFFICER:
            if not isinstance(department, str) or not is_department(department):
                raise ValueError(
                    f"{where}.department: an officer needs highway, urban_road, police or "
                    f"province:<name>, got {department!r}"
                )
        elif department is not None:
            raise ValueError(f"{where}.department: only officers have a department")
        if not isinstance(digest, str) or not _SHA256_HEX.match(digest):
            raise ValueError(f"{where}.sha256: expected 64 lower-case hex digits")
        entries.append(_Entry(digest, Principal(name=name, role=Role(role), department=department)))
    return entries


class TokenStore:
    """The hashed tokens of a file, re-read when the file changes (tokens added while running)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: list[_Entry] = []
        self._stamp: tuple[int, int] | None = None
        self._reload(initial=True)

    def identify(self, token: str) -> Principal | None:
        """The principal of `token`, or None. Compares against every entry, found or not."""
        self._reload()
        digest = token_hash(token)
        found: Principal | None = None
        for entry in self._entries:
            # No early exit: the time taken does not depend on which entry (if any) matched.
            if hmac.compare_digest(digest, entry.sha256) and found is None:
                found = entry.principal
        return found

    def officers(self, department: str) -> list[str]:
        """The names of the officers of `department` (who a task may be transferred to, 转办)."""
        self._reload()
        return [
            e.principal.name
            for e in self._entries
            if e.principal.role == Role.OFFICER and e.principal.department == department
        ]

    def _reload(self, *, initial: bool = False) -> None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            if initial or self._entries:
                log.warning("tokens file missing: no staff token is accepted", path=str(self.path))
            self._entries, self._stamp = [], None
            return
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp == self._stamp:
            return
        try:
            entries = parse_tokens(json.loads(self.path.read_text(encoding="utf-8")), str(self.path))
        except (ValueError, UnicodeDecodeError) as error:
            if initial:
                raise
            # Keep serving with the tokens we had rather than lock everybody out on a bad edit.
            log.error(
                "tokens file unreadable; keeping the previous tokens", path=str(self.path), error=str(error)
            )
            return
        self._entries, self._stamp = entries, stamp
        log.info("tokens loaded", path=str(self.path), count=len(entries))


DEV_IDENTITIES: Final = (
    ("portal", Role.PORTAL, None),
    ("officer:highway", Role.OFFICER, "highway"),
    ("officer:highway:2", Role.OFFICER, "highway"),  # a colleague to transfer a task to (转办)
    ("officer:road_transport", Role.OFFICER, "road_transport"),
    ("officer:urban_road", Role.OFFICER, "urban_road"),
    ("officer:police", Role.OFFICER, "police"),
    ("officer:province:湖北", Role.OFFICER, "province:湖北"),
    ("auditor", Role.AUDITOR, None),
    ("supervisor", Role.SUPERVISOR, None),
)


def ensure_dev_tokens(data_dir: Path, tokens_file: Path | None = None) -> Path:
    """Development tokens for the embedded stack; returns the path of the plaintext file.

    Makes sure the hashed tokens file (ONETHING_TOKENS_FILE, default `<data_dir>/tokens.json`) lists a
    portal token, one officer token per department (highway, road_transport, urban_road, police,
    province:湖北) and a second highway officer (`officer:highway:2`, to transfer tasks to), an
    auditor token and a supervisor (督办) token, and that `<data_dir>/dev-tokens.json` (mode 0600)
    holds them in plain text, keyed by name. Idempotent: tokens already there are kept, other entries
    of the tokens file are untouched.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    tokens_file = tokens_file or tokens_file_for(data_dir)
    plain_file = data_dir / DEV_TOKENS_FILE
    with _locked(data_dir / ".tokens.lock"):
        plain: dict[str, str] = {}
        if plain_file.exists():
            loaded = json.loads(plain_file.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                plain = {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, str)}
        document: dict[str, Any] = {"tokens": []}
        if tokens_file.exists():
            document = json.loads(tokens_file.read_text(encoding="utf-8"))
            parse_tokens(document, str(tokens_file))  # refuse to extend a broken file
        listed = {item["sha256"] for item in document["tokens"]}
        for name, role, department in DEV_IDENTITIES:
            token = plain.get(name)
            if token is None:
                token = plain[name] = new_token()
            if token_hash(token) not in listed:
                document["tokens"].append(
                    {"name": name, "role": role.value, "department": department, "sha256": token_hash(token)}
                )
                listed.add(token_hash(token))
        _write_atomically(tokens_file, json.dumps(document, ensure_ascii=False, indent=2))
        _write_atomically(plain_file, json.dumps(plain, ensure_ascii=False, indent=2))
    return plain_file


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock, so two processes starting together do not mint two sets of dev tokens."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file (created 0600) and rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


# --- applicant tokens --------------------------------------------------------------------------------


def load_or_create_applicant_secret(data_dir: Path) -> bytes:
    """The embedded stack's applicant-token key, `<data_dir>/applicant-secret` (0600), made once.

    Created atomically (temporary file hard-linked into place), so concurrent portals agree on one
    secret. A file readable by group or others is refused.
    """
    path = data_dir / APPLICANT_SECRET_FILE
    create_once(path, lambda: secrets.token_hex(32))
    secret = read_private(path, "applicant secret file").strip()
    if len(secret) < _MIN_SECRET_CHARS:
        raise ValueError(f"applicant secret file {path} is too short")
    return secret.encode("utf-8")


def applicant_secret(configured: str | None, data_dir: Path) -> bytes:
    """ONETHING_APPLICANT_SECRET when set (≥ 32 characters), else the dev secret file."""
    if configured is None:
        return load_or_create_applicant_secret(data_dir)
    if len(configured) < _MIN_SECRET_CHARS:
        raise ValueError(f"ONETHING_APPLICANT_SECRET must have at least {_MIN_SECRET_CHARS} characters")
    return configured.encode("utf-8")


class ApplicantTokens:
    """Derives and checks applicant tokens: `<case id, base64url>.<HMAC-SHA256(secret, case id), hex>`.

    The token names its case, so any portal holding the secret — after a restart, or another replica —
    tells "another case's applicant token" (403) from "no token of ours" (401) without remembering
    anything. Tokens issued before this format (the bare 64-hex HMAC) are still honoured for their own
    case; for another case they are simply unknown (401).
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def token_for(self, case_id: str) -> str:
        return f"{_b64url(case_id)}.{self._tag(case_id)}"

    def is_for(self, token: str, case_id: str) -> bool:
        # One constant-time comparison either way; the format decides which token we would have issued.
        expected = self.token_for(case_id) if "." in token else self._tag(case_id)
        return hmac.compare_digest(token.encode("utf-8"), expected.encode("ascii"))

    def issued_for_some_case(self, token: str) -> bool:
        return self.case_of(token) is not None

    def case_of(self, token: str) -> str | None:
        """The case an applicant token of ours opens (current format only), else None."""
        case_id = _case_of(token)
        return case_id if case_id is not None and self.is_for(token, case_id) else None

    def _tag(self, case_id: str) -> str:
        return hmac.new(self._secret, case_id.encode("utf-8"), hashlib.sha256).hexdigest()


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _case_of(token: str) -> str | None:
    """The case id a token of the current format names; None for anything else."""
    encoded, dot, _ = token.partition(".")
    if not dot or not encoded or len(encoded) > 400:
        return None
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
