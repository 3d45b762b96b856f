"""What every request handler reaches: the Temporal client, the activities' store, the credentials.

Set up by `portal.app.create_app`; the client and store are filled in by the lifespan when the caller
did not pass them (tests pass their own, and in-process ASGI transports run no lifespan).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from temporalio.client import Client

from bootstrap.deps import Deps
from codec import EncryptionCodec
from portal.auth import ApplicantTokens, TokenStore
from portal.config import PortalConfig
from portal.errors import ApiError
from portal.metrics import PortalMetrics
from settings import Settings
from workflows.matters import MATTERS, MatterRegistry


@dataclass
class PortalState:
    settings: Settings
    config: PortalConfig
    tokens: TokenStore
    applicants: ApplicantTokens
    task_queue: str
    client: Client | None = None
    deps: Deps | None = None
    codec: EncryptionCodec | None = None
    matters: MatterRegistry = MATTERS  # which submissions it accepts, which cases it serves
    metrics: PortalMetrics = field(default_factory=PortalMetrics)

    def codec_or_503(self) -> EncryptionCodec:
        if self.codec is None:
            raise ApiError(503, "server", "no payload codec is configured")
        return self.codec

    def temporal(self) -> Client:
        if self.client is None:
            raise ApiError(503, "server", "not connected to Temporal yet")
        return self.client

    def store(self) -> Deps:
        if self.deps is None:
            raise ApiError(503, "server", "the licence store is not ready yet")
        return self.deps


def portal_state(request: Request) -> PortalState:
    state: PortalState = request.app.state.portal
    return state
