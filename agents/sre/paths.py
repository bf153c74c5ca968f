"""Where the SRE's files go in a bundle: one place, read by the role and its readiness gate."""

from __future__ import annotations

RULES_PATH = "monitoring/alerts.rules.yml"
TESTS_PATH = "monitoring/alerts.test.yml"
SCRAPE_PATH = "monitoring/prometheus.yml"
ALERTMANAGER_PATH = "monitoring/alertmanager.yml"
DASHBOARD_PATH = "monitoring/dashboard.json"
RUNBOOK_PATH = "docs/runbook.md"
READINESS_PATH = "docs/readiness.md"
PLAN_PATH = "plan/infrastructure-plan.md"
