"""Alerts as Alertmanager, Prometheus or a person sends them, read into one typed shape.

Parsing is tolerant: a payload is evidence, so unknown keys are ignored and non-text label
values are shown as text; only the shape of the whole payload is checked elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ALERTS = 200
_TEXT_KEYS = ("summary", "description", "message")
AlertStatus = Literal["firing", "resolved"]


class Alert(BaseModel):
    """One alert: its name, labels, annotations, when it started and whether it still fires."""

    model_config = ConfigDict(frozen=True)
    name: str
    status: AlertStatus = "firing"
    severity: str | None = None  # the severity label as sent, lower-cased
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime | None = None

    @property
    def text(self) -> str:
        """What the alert says in words (summary, description), lower-cased."""
        return " ".join(self.annotations.get(k, "") for k in _TEXT_KEYS).strip().lower()

    @property
    def firing(self) -> bool:
        return self.status == "firing"


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(k): str(v)
        for k, v in value.items()
        if isinstance(v, str | int | float) and not isinstance(v, bool)
    }


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(re.sub(r"Z$", "+00:00", value.strip()))
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _status(item: Mapping[str, Any]) -> AlertStatus:
    value = str(item.get("status") or item.get("state") or "firing").strip().lower()
    return "resolved" if value in ("resolved", "inactive", "ok") else "firing"


def _one(item: Mapping[str, Any]) -> Alert:
    labels = _strings(item.get("labels"))
    annotations = _strings(item.get("annotations"))
    for key in _TEXT_KEYS:
        if key not in annotations and isinstance(item.get(key), str):
            annotations[key] = str(item[key])
    name = labels.get("alertname") or next(
        (str(item[k]) for k in ("alertname", "name", "title") if isinstance(item.get(k), str)),
        "alert",
    )
    severity = labels.get("severity") or item.get("severity")
    return Alert(
        name=name.strip() or "alert",
        status=_status(item),
        severity=severity.strip().lower()
        if isinstance(severity, str) and severity.strip()
        else None,
        labels=labels,
        annotations=annotations,
        starts_at=_time(item.get("startsAt") or item.get("activeAt") or item.get("starts_at")),
    )


def parse_alerts(payload: Mapping[str, Any] | None) -> tuple[Alert, ...]:
    """Every alert in a payload: a webhook's ``alerts`` list, or the payload as one alert."""
    if not payload:
        return ()
    items = payload.get("alerts")
    if isinstance(items, list):
        return tuple(_one(i) for i in items[:MAX_ALERTS] if isinstance(i, Mapping))
    return (_one(payload),)


_ENVIRONMENT_LABELS = ("environment", "env")


def alert_environment(payload: Mapping[str, Any] | None) -> str | None:
    """The environment the firing alerts carry (``environment`` or ``env`` label), when they
    agree on one; ``None`` when none says it or they disagree."""
    common = _strings(payload.get("commonLabels")) if payload else {}
    said = {
        value.strip().lower()
        for labels in [common, *(a.labels for a in parse_alerts(payload) if a.firing)]
        for key in _ENVIRONMENT_LABELS
        if (value := labels.get(key))
    }
    return said.pop() if len(said) == 1 else None
