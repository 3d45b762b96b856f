"""The portal HTTP API (FastAPI): submissions, case status, officers' opinions, licences.

    app = create_app(Settings.from_env())              # connects to Temporal in its lifespan
    app = create_app(settings, client=c, deps=d, task_queue=q)   # tests, embedded stack
    app = create_app(settings, ..., matters=MATTERS.plus(entry))  # a test's own matter too

OpenAPI at /docs and /redoc, their assets served from an installed package (portal/docs.py);
/healthz, /readyz and /metrics for operators (portal/health.py).
Every error answers `{"detail": [{"field", "message"}, …]}` (portal.errors).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from temporalio.client import Client

from bootstrap.deps import Deps, build_deps, dispose
from bootstrap.tls import temporal_tls
from codec import EncryptionCodec, codec_from_env, encrypted_converter
from portal import actions, audit, carriers, cases, docs, errors, health, licences, tasks
from portal import codec as codec_endpoint
from portal.auth import ApplicantTokens, TokenStore, applicant_secret
from portal.config import PortalConfig
from portal.middleware import BodyLimit, JsonBodies, RequestLog
from portal.state import PortalState
from portal.workbench import pages as workbench
from services.calendar_outlook import calendar_warnings_now
from settings import Settings
from workflows.matters import MATTERS, MatterRegistry

log = structlog.get_logger(__name__)

TITLE = "onething portal API"
DESCRIPTION = (
    "高效办成一件事: submit an application from the provincial portal, follow the case, answer "
    "department tasks, supplement or withdraw, fetch and verify e-licences."
)


def create_app(
    settings: Settings,
    *,
    client: Client | None = None,
    deps: Deps | None = None,
    task_queue: str | None = None,
    config: PortalConfig | None = None,
    codec: EncryptionCodec | None = None,
    matters: MatterRegistry = MATTERS,
) -> FastAPI:
    """The portal app for `matters`. Without `client`/`deps` its lifespan connects to Temporal and
    builds the store."""
    config = config or PortalConfig.from_env(settings)
    state = PortalState(
        settings=settings,
        config=config,
        tokens=TokenStore(config.tokens_file),
        applicants=ApplicantTokens(applicant_secret(config.applicant_secret, settings.data_dir)),
        task_queue=task_queue or settings.task_queue,
        client=client,
        deps=deps,
        codec=codec or codec_from_env(os.environ, settings.data_dir),
        matters=matters,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built: Deps | None = None
        if state.client is None:
            state.client = await Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=encrypted_converter(state.codec_or_503()),
                tls=temporal_tls(),
            )
        if state.deps is None:
            state.deps = built = await build_deps(
                settings, licence_kinds=matters.licence_kinds, sealing=False
            )
        for warning in await calendar_warnings_now(state.client, state.deps):
            log.warning("holiday notice missing", detail=warning)
        try:
            yield
        finally:
            if built is not None:  # only what we built; the caller's store is the caller's
                await dispose(built)

    # No 307 to the slash-less URL: an API answers a path it does not serve with 404 naming `path`.
    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version="1",
        lifespan=lifespan,
        redirect_slashes=False,
        docs_url=None,  # served offline by portal.docs instead of from a CDN
        redoc_url=None,
    )
    app.state.portal = state
    errors.install(app)
    docs.install(app, TITLE)
    app.include_router(cases.router)
    app.include_router(actions.router)
    app.include_router(tasks.router)
    app.include_router(carriers.router)
    app.include_router(workbench.router)
    app.include_router(licences.router)
    app.include_router(audit.router)
    app.include_router(codec_endpoint.router)
    app.include_router(health.router)
    if origins := codec_endpoint.ui_origins():
        # The Web UI calls the codec endpoint from its own origin (another port on the same host).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["POST", "OPTIONS"],
            allow_headers=["content-type", "x-namespace", "authorization", "caller-type"],
            allow_credentials=True,
        )
    app.add_middleware(JsonBodies, form_prefix=workbench.PREFIX)
    # Added last = outermost: the log sees every answer, the 413s of the body limit included.
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(RequestLog, metrics=state.metrics)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=TITLE, version=app.version, description=DESCRIPTION, routes=app.routes)
            cases.document_bodies(schema, matters)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
