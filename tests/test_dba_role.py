"""Database Administrator: engine, sizing, backups that meet the RPO, plans, rendering."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iac_factories import ctx_for, database_plan, make_ctx, make_design, make_request, planned

from opsteam.agents.base import RoleContext
from opsteam.agents.dba import role as dba
from opsteam.agents.dba import windows
from opsteam.domain import naming
from opsteam.domain.models import Engine, Environment
from opsteam.domain.registry import load_registry


@settings(max_examples=200, deadline=None)
@given(
    rpo=st.integers(min_value=0, max_value=7 * 24 * 60),
    env=st.sampled_from(list(Environment)),
    engine=st.sampled_from([Engine.POSTGRES, Engine.MYSQL]),
)
def test_sql_backups_meet_any_rpo(rpo: int, env: Environment, engine: Engine) -> None:
    policy = dba.backup_policy(engine, env, rpo)
    assert policy.achieved_rpo_minutes <= rpo
    assert policy.pitr
    if rpo <= dba.PITR_GRANULARITY_MINUTES:
        assert policy.pitr or policy.synchronous_standby
    plan = planned(make_request(environment=env.value, engine=engine.value, rpo_minutes=rpo))
    assert plan.point_in_time_recovery
    assert plan.retention_days >= 1
    if rpo < dba.PITR_GRANULARITY_MINUTES:
        assert plan.multi_az, "an RPO below the PITR granularity needs a synchronous standby"


@settings(max_examples=100, deadline=None)
@given(rpo=st.integers(min_value=0, max_value=7 * 24 * 60), env=st.sampled_from(list(Environment)))
def test_redis_backups_meet_rpo_or_say_why_not(rpo: int, env: Environment) -> None:
    policy = dba.backup_policy(Engine.REDIS, env, rpo)
    assert policy.achieved_rpo_minutes <= rpo or policy.caveat
    plan = planned(make_request(environment=env.value, engine="redis", rpo_minutes=rpo))
    if policy.caveat:
        assert policy.caveat in plan.rationale


def test_default_rpo_per_environment_and_prod_plan() -> None:
    plan = planned(make_request(environment="prod"))
    assert dba.rpo_for(make_request(environment="prod")) == 5
    assert dba.rpo_for(make_request(environment="staging")) == 60
    assert dba.rpo_for(make_request(environment="dev")) == 1440
    assert plan.engine is Engine.POSTGRES and plan.version == "16"
    assert plan.port == naming.engine_port(Engine.POSTGRES)
    assert plan.multi_az and plan.retention_days == 30 and plan.point_in_time_recovery
    assert "weekly 90 days" in plan.backup_schedule and "monthly 1 year" in plan.backup_schedule
    assert plan.parameters["rds.force_ssl"] == "1"


@pytest.mark.parametrize(
    ("size", "cls", "memory"),
    [
        ("small", "db.t4g.medium", 4),
        ("medium", "db.r6g.large", 16),
        ("large", "db.r6g.xlarge", 32),
        ("xlarge", "db.r6g.2xlarge", 64),
    ],
)
def test_size_drives_class_and_shared_buffers(size: str, cls: str, memory: int) -> None:
    plan = planned(make_request(size=size))
    assert plan.instance_class == cls
    # shared_buffers is a quarter of the class memory, in 8 kB pages.
    assert int(plan.parameters["shared_buffers"]) * 8192 == memory * 1024**3 // 4


def test_plan_changes_with_environment() -> None:
    dev = planned(make_request(environment="dev", size="large"))
    prod = planned(make_request(environment="prod", size="large"))
    assert not dev.multi_az and prod.multi_az
    assert dev.read_replicas == 0 < prod.read_replicas
    assert dev.retention_days < prod.retention_days


def test_engine_choice_and_versions() -> None:
    design = make_design(["cache"], engine=Engine.REDIS, hosts_needed=False)
    ctx = RoleContext(registry=load_registry(), design=design)
    redis = database_plan(make_request(component="cache"), ctx)
    # No engine in the design: the DBA plans no database (it never guesses one).
    bucket = make_design(["object-storage"], engine=None, hosts_needed=False)
    data = dba.decide(make_request(component="storage"), make_ctx(make_request(), design=bucket))
    assert data.database is None and data.storage is not None
    assert data.storage.buckets[0].versioning
    assert (redis.engine, redis.version, redis.port) == (Engine.REDIS, "7.1", 6379)
    assert redis.instance_class.startswith("cache.") and redis.storage_gb == 0
    assert not redis.point_in_time_recovery
    mysql = planned(make_request(engine="mysql"))
    assert (mysql.version, mysql.port) == ("8.0", 3306)
    pinned_version = planned(make_request(engine="mysql", engine_version="8.4"))
    assert pinned_version.version == "8.4"
    unsupported = planned(make_request(engine="mysql", engine_version="5.7"))
    assert unsupported.version == "8.0" and any(
        "5.7 is not offered" in r for r in unsupported.rationale
    )
    assert mysql.parameters["require_secure_transport"] == "1"  # what checkov CKV2_AWS_69 reads
    # The architect's engine wins over the request hint.
    pinned = make_design(engine=Engine.MYSQL)
    chosen = database_plan(make_request(engine="postgres"), make_ctx(make_request(), design=pinned))
    assert chosen.engine is Engine.MYSQL


def test_a_cache_evicts_any_key_and_a_redis_data_store_only_expiring_ones() -> None:
    """A cache's keys often carry no TTL: volatile-lru would refuse writes when it is full."""
    design = make_design(["cache"], engine=Engine.REDIS, hosts_needed=False)
    ctx = RoleContext(registry=load_registry(), design=design)
    cache = database_plan(make_request(component="cache"), ctx)
    assert cache.parameters["maxmemory-policy"] == "allkeys-lru"
    store = database_plan(make_request(component="database", engine="redis"), ctx)
    assert store.parameters["maxmemory-policy"] == "volatile-lru"


def test_modify_and_remove_plans() -> None:
    modify = planned(make_request(type="Modify"))
    assert any("snapshot" in s for s in modify.migration_plan)
    assert any("PITR" in s for s in modify.rollback_plan)
    remove = planned(make_request(type="Remove"))
    text = " ".join(remove.migration_plan)
    assert "final snapshot" in text
    assert text.index("approval") < text.index("deletion protection off")


def test_render_is_deterministic_and_free_of_internal_ids() -> None:
    request = make_request(request="Billing | <b>DB</b> ${x} {{ y }}")
    ctx = ctx_for(request)
    first = dba.render(dba.decide(request, ctx), request, ctx)
    second = dba.render(dba.decide(request, ctx), request, ctx)
    assert first == second
    [artifact] = first
    assert artifact.path == "database/database-plan.md" and artifact.role == dba.ROLE
    assert "INF-" not in artifact.content
    assert "<b>" not in artifact.content
    assert "Database Administrator" in artifact.content


def test_schema_migration_is_planned_online_not_as_an_instance_change() -> None:
    request = make_request(
        type="Modify",
        engine="postgres",
        description="Add column delivery_preferences to the orders table and an index.",
    )
    plan = planned(request)
    steps = " ".join(plan.migration_plan)
    assert "CREATE INDEX CONCURRENTLY" in steps and "outside a transaction" in steps
    assert "lock_timeout" in steps
    assert "parameter/class changes" not in steps  # not an instance change
    rollback = " ".join(plan.rollback_plan)
    assert "DROP INDEX CONCURRENTLY" in rollback
    assert rollback.index("previous release") < rollback.index("down-migration")
    mysql = planned(request.model_copy(update={"engine": Engine.MYSQL}))
    assert "LOCK=NONE" in " ".join(mysql.migration_plan)
    # A class/parameter change keeps the instance-change plan.
    resize = planned(make_request(type="Modify", description="A stable, larger class."))
    assert any("parameter/class changes" in s for s in resize.migration_plan)


def _start_hours(schedule: str) -> set[int]:
    """Hours an AWS cron expression starts at: 'cron(0 0-2,6-23 * * ? *)' -> {0, 1, 2, 6, ...}."""
    hours: set[int] = set()
    for part in schedule.removeprefix("cron(").split()[1].split(","):
        low, _, high = part.partition("-")
        hours.update(range(int(low), int(high or low) + 1))
    return hours


def _near(hour: int, window: str, margin: int = 60) -> bool:
    start, end = (int(c.split(":")[-2]) * 60 + int(c.split(":")[-1]) for c in window.split("-"))
    end += 24 * 60 if end <= start else 0
    return any(start - margin <= at < end + margin for at in (hour * 60, hour * 60 + 24 * 60))


@settings(max_examples=200, deadline=None)
@given(
    backup_start=st.integers(min_value=0, max_value=47),
    maintenance_start=st.integers(min_value=0, max_value=47),
)
def test_aws_backup_rules_never_start_near_either_rds_window(
    backup_start: int, maintenance_start: int
) -> None:
    def window(half_hour: int, length: int, day: str = "") -> str:
        start, end = half_hour * 30, (half_hour * 30 + length) % (24 * 60)
        return "-".join(f"{day}{m // 60:02d}:{m % 60:02d}" for m in (start, end))

    backup, maintenance = window(backup_start, 30), window(maintenance_start, 60, "sun:")
    rules = windows.backup_rules(backup, maintenance)
    assert [(r.name, r.delete_after_days) for r in rules] == list(windows.RETENTION)
    for rule in rules:
        hours = _start_hours(rule.schedule)
        assert hours, rule
        assert not any(_near(h, w) for h in hours for w in (backup, maintenance)), rule


def test_production_sql_plan_keeps_the_long_term_copies_clear_of_the_rds_windows() -> None:
    plan = planned(make_request(environment="prod", engine="postgres"))
    assert plan.backup_window == windows.RDS_BACKUP_WINDOW
    hourly = next(r for r in plan.backup_rules if r.name == "hourly")
    assert 3 not in _start_hours(hourly.schedule) and len(_start_hours(hourly.schedule)) >= 18
    assert not planned(make_request(environment="dev", engine="postgres")).backup_rules
    cache = planned(make_request(environment="prod", engine="redis"))
    assert cache.backup_window == windows.CACHE_SNAPSHOT_WINDOW and not cache.backup_rules
