"""Operations over HTTP: incidents, on-call, KPIs (now and over time), tokens, health, metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from opsteam.application.access import Actor, create_token, list_tokens, revoke_tokens
from opsteam.domain.errors import InputError, NotFoundError
from opsteam.domain.incidents import parse_time
from opsteam.interfaces.api.context import Ctx, allowed
from opsteam.interfaces.api.exits import json_body

router = APIRouter()
Operate = Annotated[Actor, allowed("operate", "read operations data")]


def _now() -> datetime:
    return datetime.now(UTC)


def _at(text: str | None, field: str) -> datetime:
    return parse_time(text, field, default=_now())


@router.get("/healthz", tags=["server"], summary="Liveness (no token needed)")
def healthz() -> dict[str, str]:
    from opsteam import __version__

    return {"status": "ok", "version": __version__}


@router.get("/metrics", tags=["server"], summary="Prometheus metrics")
def metrics(ctx: Ctx, actor: Operate) -> Response:
    del actor
    return Response(ctx.metrics.render(), media_type="text/plain; version=0.0.4")


@router.get("/me", tags=["server"], summary="Who the token stands for, and its role")
def me(ctx: Ctx, actor: Operate) -> JSONResponse:
    return json_body(ctx.redactor, {"name": actor.name, "role": actor.role})


@router.get("/oncall", tags=["operations"], summary="Who is on call")
def oncall(ctx: Ctx, actor: Operate, at: str | None = None) -> JSONResponse:
    del actor
    from opsteam.application.oncall import shift_view, who_is_on_call

    when = _at(at, "at")
    view = shift_view(who_is_on_call(when, ctx.registry), when, ctx.registry)
    return json_body(ctx.redactor, view)


@router.get("/kpis", tags=["operations"], summary="KPIs against their targets")
def kpis(
    ctx: Ctx, actor: Operate, since: str | None = None, now: str | None = None
) -> JSONResponse:
    del actor
    from opsteam.application import incidents as ops

    clock = _at(now, "now")
    start = parse_time(since, "since") if since else None
    if start is not None and start > clock:
        raise InputError(f"since: {start.isoformat()} is after now ({clock.isoformat()})")
    results = ops.kpis(ctx.home, since=start, now=clock, registry=ctx.registry)
    return json_body(ctx.redactor, ops.kpi_rows(results))


@router.get("/kpis/history", tags=["operations"], summary="Each KPI over time, with its target")
def kpi_history(
    ctx: Ctx,
    actor: Operate,
    points: Annotated[int, Query(ge=1, le=24)] = 6,
    now: str | None = None,
) -> JSONResponse:
    del actor
    from opsteam.application.kpi_trend import load_trend

    trend = load_trend(ctx.home, ctx.registry, until=_at(now, "now"), points=points)
    return json_body(ctx.redactor, trend)


# ---- incidents --------------------------------------------------------------------------


class IncidentOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    description: str
    service: str
    component: str | None = None
    environment: str = "prod"
    detected_at: str | None = None
    severity: str | None = None
    alert: dict[str, Any] | None = None


class IncidentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str | None = None
    impact: str | None = None
    current_action: str | None = None
    eta: str | None = None
    note: str | None = None
    decision: str | None = None
    diagnosis: str | None = None
    component: str | None = None
    owner: str | None = None


class IncidentResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    root_cause: str
    follow_ups: list[str] = Field(default_factory=list, max_length=50)
    decision: str | None = None


def _summary(ctx: Ctx, result: Any) -> JSONResponse:
    from opsteam.interfaces.cli.incident_views import summary

    return json_body(ctx.redactor, summary(result, ctx.registry))


@router.get("/incidents", tags=["incidents"], summary="Open incidents (all with all=true)")
def incidents(ctx: Ctx, actor: Operate, all: bool = False) -> JSONResponse:
    del actor
    from opsteam.application.incidents import list_incidents

    rows = list_incidents(ctx.home, open_only=not all, registry=ctx.registry)
    return json_body(ctx.redactor, rows)


@router.get("/incidents/{incident_id}", tags=["incidents"], summary="One incident")
def incident(incident_id: str, ctx: Ctx, actor: Operate) -> JSONResponse:
    del actor
    from opsteam.application.incidents import show_incident

    return json_body(ctx.redactor, show_incident(ctx.home, incident_id, registry=ctx.registry))


@router.post("/incidents", tags=["incidents"], status_code=201, summary="Report an incident")
def open_incident(
    body: IncidentOpen,
    ctx: Ctx,
    actor: Annotated[Actor, allowed("report-incident", "report incidents")],
) -> JSONResponse:
    del actor
    from opsteam.application import incidents as ops
    from opsteam.domain.incidents import parse_severity

    clock = _now()
    report = ops.IncidentReport.model_validate(
        {
            **body.model_dump(exclude={"detected_at", "severity"}),
            "detected_at": parse_time(body.detected_at, "detected_at", default=clock),
            "severity": parse_severity(body.severity) if body.severity else None,
        }
    )
    result = ops.open_incident(ctx.home, report, now=clock, registry=ctx.registry)
    response = _summary(ctx, result)
    response.status_code = 201
    return response


@router.post("/incidents/{incident_id}/updates", tags=["incidents"], summary="Update an incident")
def update_incident(
    incident_id: str,
    body: IncidentChange,
    ctx: Ctx,
    actor: Annotated[Actor, allowed("manage-incidents", "update incidents")],
) -> JSONResponse:
    """The token's name is who updated (and who decided, with ``decision``)."""
    from opsteam.application import incidents as ops
    from opsteam.domain.incidents import parse_status

    update = ops.IncidentUpdate(
        at=_now(),
        status=parse_status(body.status) if body.status else None,
        eta=parse_time(body.eta, "eta") if body.eta else None,
        owner=ops.parse_owner(body.owner, ctx.registry) if body.owner else None,
        by=actor.name,
        **body.model_dump(exclude={"status", "eta", "owner"}),
    )
    result = ops.update_incident(ctx.home, incident_id, update, registry=ctx.registry)
    return _summary(ctx, result)


@router.post("/incidents/{incident_id}/resolve", tags=["incidents"], summary="Resolve")
def resolve_incident(
    incident_id: str,
    body: IncidentResolve,
    ctx: Ctx,
    actor: Annotated[Actor, allowed("manage-incidents", "resolve incidents")],
) -> JSONResponse:
    from opsteam.application import incidents as ops

    resolution = ops.Resolution(at=_now(), by=actor.name, **body.model_dump())
    result = ops.resolve_incident(ctx.home, incident_id, resolution, registry=ctx.registry)
    return _summary(ctx, result)


# ---- tokens (admin) ---------------------------------------------------------------------

Admin = Annotated[Actor, allowed("admin", "manage tokens")]


class TokenAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str
    name: str = Field(max_length=64)


@router.post("/tokens", tags=["tokens"], status_code=201, summary="Create a token (shown once)")
def new_token(body: TokenAsk, ctx: Ctx, actor: Admin) -> JSONResponse:
    del actor
    secret, info = create_token(ctx.home, body.role, body.name, ctx.redactor)
    data = {"name": info.name, "role": info.role, "token": secret}
    return json_body(ctx.redactor, data, 201)


@router.get("/tokens", tags=["tokens"], summary="Token holders and roles (never the secrets)")
def tokens(ctx: Ctx, actor: Admin) -> JSONResponse:
    del actor
    rows = [
        {"name": t.name, "role": t.role, "created_at": t.created_at, "revoked": t.revoked}
        for t in list_tokens(ctx.home)
    ]
    return json_body(ctx.redactor, rows)


@router.delete("/tokens/{name}", tags=["tokens"], summary="Revoke every token of a holder")
def revoke(name: str, ctx: Ctx, actor: Admin) -> JSONResponse:
    del actor
    count = revoke_tokens(ctx.home, name)
    if count == 0:
        raise NotFoundError(f"{name!r} holds no active token")
    return json_body(ctx.redactor, {"name": name, "revoked": count})
