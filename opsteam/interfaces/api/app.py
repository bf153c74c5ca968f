"""The HTTP application: the API, the web chat page at ``/``, metrics and OpenAPI docs.

Built by :func:`create_app` for one data home and roster; ``opsteam serve`` runs it under
uvicorn, tests drive it with FastAPI's TestClient.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from opsteam import __version__
from opsteam.application.runs import RunHub
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.graphs.request import Verifier
from opsteam.interfaces.api import chat, exits, operations, requests
from opsteam.interfaces.api.context import Context
from opsteam.interfaces.api.limits import MAX_BODY_BYTES, BodyLimit
from opsteam.interfaces.api.metrics import Measured, Metrics

DESCRIPTION = (
    "The infrastructure & operations team over HTTP. Every endpoint but /healthz, the web "
    "chat page and these docs needs `Authorization: Bearer TOKEN` (create one with "
    "`opsteam token create --role requester|approver|admin --name NAME`). Errors are "
    '`{"errors": ["one line per problem"]}` with the status saying which kind.'
)


def static_dir() -> Path:
    return Path(str(resources.files("opsteam.interfaces.api") / "static"))


def create_app(
    home: Path,
    registry: Registry,
    *,
    verifier: Verifier | None = None,
    workers: int = 2,
    max_body: int = MAX_BODY_BYTES,
) -> FastAPI:
    metrics = Metrics()
    hub = RunHub(home, registry, verifier, workers=workers, finished=metrics.finished)
    metrics.count_running(hub.running)
    redactor = Redactor.for_registry(registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        hub.close()  # running requests reach their checkpoint or end first

    app = FastAPI(
        title="opsteam",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.ctx = Context(home, registry, redactor, hub, metrics, verifier)
    app.state.redactor = redactor
    exits.install(app)
    for router in (requests.router, chat.router, operations.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static_dir() / "index.html", media_type="text/html")

    app.add_middleware(Measured, metrics=metrics)
    app.add_middleware(BodyLimit, redactor=redactor, limit=max_body)
    return app
