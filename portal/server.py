"""How the portal is served: uvicorn with a read timeout on every request it is still receiving.

uvicorn waits as long as a client likes for the rest of a request's head or body (150 s of an
unfinished header line was seen, holding a connection and its slot). `ReadTimeoutH11Protocol` closes
a connection that sends nothing for `read_timeout` seconds while its request is incomplete; waiting
between requests stays uvicorn's keep-alive timeout, and the application's own time is not counted.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import structlog
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from portal.config import DEFAULT_READ_TIMEOUT_SECONDS

log = structlog.get_logger("portal.request")


class ReadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a timer armed whenever a request is partly received."""

    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._rearm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _receiving(self) -> bool:
        """A request head has begun but is unfinished, or its body is still on its way."""
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            return True
        return state is h11.IDLE and bool(self.conn.trailing_data[0])

    def _rearm(self) -> None:
        self._disarm()
        if self._receiving():
            self._read_timer = self.loop.call_later(self.read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _too_slow(self) -> None:
        self._read_timer = None
        if not self._receiving() or self.transport.is_closing():
            return
        phase = "body" if self.conn.their_state is h11.SEND_BODY else "head"
        # One line, like every request's; no answer is written to a client that stopped mid-request.
        log.info("request", status=408, phase=phase, reason="incomplete request: read timeout")
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the application sees http.disconnect, not a hang
            self.cycle.message_event.set()
        self.transport.close()


def config(app: Any, *, host: str, port: int, read_timeout: float, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration every portal runs with (`onething portal`, `onething up`)."""
    protocol = type("PortalH11Protocol", (ReadTimeoutH11Protocol,), {"read_timeout": read_timeout})
    return uvicorn.Config(app, host=host, port=port, http=protocol, access_log=False, **options)
