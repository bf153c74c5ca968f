"""Intake survivors of the mutation run (docs/security.md): behaviour the suite did not pin.

Every way in (form file, list of forms, plain words, a second reader, chat answers) read
in-process, with the exact errors a person sees.
"""

from __future__ import annotations

import pytest
import yaml

from opsteam.domain.errors import InputError
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.intake import fields
from opsteam.intake.answers import answer, answer_all, complete, read_open
from opsteam.intake.forms import MAX_INPUT_BYTES
from opsteam.intake.intent import components_for, understand
from opsteam.intake.read import HINT, read_requests, read_words, understand_words
from opsteam.intake.words import NOT_STATED, Parsed, parse_words, to_request
from tests.conftest import BASE_REQUEST

VAGUE = "we need something new for billing"  # neither environment nor component
NO_ENV = "We need a new Postgres database for the billing service"
APP_CODE = "please rewrite the checkout frontend code in React"
FORM = dict(BASE_REQUEST)  # a complete form


def _raw(data: object) -> bytes:
    return yaml.safe_dump(data).encode()


def _error(call: object, *args: object) -> InputError:
    assert callable(call)
    with pytest.raises(InputError) as err:
        call(*args)
    return err.value


def test_a_form_a_list_of_forms_and_words_are_each_read_as_what_they_are(
    registry: Registry,
) -> None:
    [one] = read_requests(_raw(FORM), "f.yaml", registry, "me").requests
    assert (one.component.value, one.service) == ("cache", "catalog")
    two = read_requests(_raw([FORM, {**FORM, "component": "database"}]), "f.yaml", registry, "me")
    assert [r.component.value for r in two.requests] == ["cache", "database"]
    # A mapping with none of the form's fields, and text that is no valid YAML: plain words.
    for words in (b"hello: we need a redis cache for the catalog service in staging",
                  b"X-ray service needs: a: new redis cache in staging"):  # fmt: skip
        [request] = read_requests(words, "f.txt", registry, "me").requests
        assert request.environment.value == "staging"


def test_a_broken_form_names_its_source_and_problem(registry: Registry) -> None:
    for raw in (b"{bad", b"  {bad: ["):  # JSON that does not parse is a form, not words
        assert _error(read_requests, raw, "form.json", registry, "me").message.startswith(
            "form.json: malformed JSON"
        )
    no_env = {k: v for k, v in FORM.items() if k != "environment"}
    assert (
        _error(read_requests, _raw(no_env), "f.yaml", registry, "me").message
        == "f.yaml: environment: required field is missing"
    )
    assert (
        _error(read_requests, b"\xff\xfe", "f.bin", registry, "me").message
        == "f.bin: input is not UTF-8 text"
    )
    big = _error(read_requests, b"a" * (MAX_INPUT_BYTES + 1), "big.txt", registry, "me")
    assert big.message.startswith("big.txt: input is larger than 256 KiB")


def test_a_form_for_another_division_is_redirected_even_when_incomplete(
    registry: Registry,
) -> None:
    app = {**FORM, "request": "Rewrite the checkout frontend", "component": "frontend code",
           "description": APP_CODE}  # fmt: skip
    del app["environment"]
    redirect = read_requests(_raw(app), "f.yaml", registry, "me").redirect
    assert redirect is not None and redirect.owner == "the owning domain division"


def test_words_go_through_the_second_reader_when_one_is_given(registry: Registry) -> None:
    def reader(text: str, parsed: Parsed) -> Parsed:
        form = {**parsed.form, "environment": "staging"}
        missing = [m for m in parsed.missing if m != "environment"]
        return parsed.model_copy(update={"form": form, "missing": missing})

    raw = NO_ENV.encode()
    [request] = read_requests(raw, "w.txt", registry, "me", reader).requests
    assert request.environment.value == "staging"
    [again] = understand_words(NO_ENV, registry, "me", reader).requests
    assert again.environment.value == "staging"


def test_words_are_size_checked_and_never_empty(registry: Registry) -> None:
    assert _error(read_words, "   ", registry, "me").message == "words: the request is empty"
    too_long = "a" * (MAX_INPUT_BYTES + 1)
    assert _error(read_words, too_long, registry, "me").message == "words: longer than 256 KiB"
    redirect = read_words(APP_CODE, registry, "me").redirect
    assert redirect is not None and redirect.owner == "the owning domain division"


def test_words_missing_facts_are_refused_with_every_question_and_the_hint(
    registry: Registry,
) -> None:
    err = _error(understand_words, VAGUE, registry, "me")
    env = "missing: environment (dev, staging or prod)"
    comp = "missing: what to build or change (a server, database, network, ...)"
    assert err.message == f"{env}; {HINT}"
    assert err.problems == [env, f"{comp}; {HINT}"]
    done = understand_words(f"{NO_ENV} in prod", registry, "me")
    assert done.words is not None and done.words.form["environment"] == "prod"


def test_open_reading_returns_a_redirect_a_request_or_the_questions(
    registry: Registry,
) -> None:
    redirected = read_open(APP_CODE, registry, "me")
    assert redirected.redirect is not None and not redirected.requests
    ready = read_open(f"{NO_ENV} in prod", registry, "me")
    assert [r.environment.value for r in ready.requests] == ["prod"] and ready.redirect is None
    asking = read_open(NO_ENV, registry, "me")
    assert not asking.requests and asking.words is not None
    assert asking.words.missing == ["environment"]


def test_an_answer_fills_the_asked_field_with_its_evidence(registry: Registry) -> None:
    parsed = parse_words(NO_ENV, registry, "me")
    done = answer(parsed, "environment", "staging please", registry)
    assert done.form["environment"] == "staging" and not done.missing
    assert done.evidence["environment"] == "answered: staging"
    vague = parse_words(VAGUE, registry, "me")
    # "data" is a whole-answer synonym the words parser alone does not read.
    assert answer(vague, "component", "data", registry).form["component"] == "database"


def test_an_unknown_component_answer_is_kept_as_other_with_its_words(
    registry: Registry,
) -> None:
    vague = parse_words(VAGUE, registry, "me")
    words = "a quantum flux thing " * 20
    done = answer(vague, "component", words, registry)
    assert done.form["component"] == "other" and "component" not in done.missing
    assert done.form["component_words"] == " ".join(words.split())[:200]
    # Only the component question keeps any words: an environment stays asked.
    still = answer(vague, "environment", "soon", registry)
    assert still.missing == ["environment", "component"]
    assert still.problems == ["'soon' names no environment (dev, staging or prod)"]


def test_an_answer_also_fills_another_open_question_it_states(registry: Registry) -> None:
    vague = parse_words(VAGUE, registry, "me")
    done = answer(vague, "environment", "a postgres database", registry)
    assert done.form["component"] == "database" and done.missing == ["environment"]
    assert answer(vague, "environment", "   ", registry).problems == ["no answer"]


def test_complete_and_answer_all_refuse_with_every_problem(registry: Registry) -> None:
    vague = parse_words(VAGUE, registry, "me")
    err = _error(complete, vague)
    env = "missing: environment (dev, staging or prod)"
    assert err.message == env and err.problems == [
        env,
        "missing: what to build or change (a server, database, network, ...)",
    ]
    unknown = _error(answer_all, vague, {"colour": "red", "size": "xl"}, registry)
    assert unknown.message == (
        "answers: colour, size is not a question the team asks (questions: environment, component)"
    )


def _form(**fields: object) -> ChangeRequest:
    return ChangeRequest.model_validate({**FORM, **fields})


def _facts(request: ChangeRequest, registry: Registry) -> set[tuple[str, str]]:
    return {(f.kind, f.detail) for f in understand(request, registry).facts if not f.context}


def test_components_come_from_the_form_its_engine_and_the_words(registry: Registry) -> None:
    # The database in "a cache in front of the catalog database" is context, not new work.
    assert components_for(_form(), registry) == ["cache"]
    platform = _form(component="other", component_words="platform", request="platform work",
                     description="platform work")  # fmt: skip
    assert components_for(platform, registry) == ["web", "kubernetes", "firewall", "monitoring"]
    behind = _form(component="database", engine="postgres", request="orders db",
                   description="behind a load balancer")  # fmt: skip
    assert components_for(behind, registry) == ["database", "load-balancer"]
    plain = {"request": "catalog hosts", "description": "catalog hosts"}
    assert components_for(_form(component="server", engine="redis", **plain), registry) == [
        "cache",
        "server",
    ]
    assert components_for(_form(component="server", engine="mysql", **plain), registry) == [
        "database",
        "server",
    ]
    web = _form(component="load-balancer", request="lb", description="in front of the web app")
    assert components_for(web, registry) == ["web", "kubernetes", "load-balancer"]


def test_facts_come_from_the_roster_words_its_checkpoint_triggers_and_the_form(
    registry: Registry,
) -> None:
    server = {"component": "server", "request": "catalog work", "justification": "x",
              "impact": "x"}  # fmt: skip
    # "new architecture" is only an architecture-change trigger, not a topology word.
    arch = _form(**server, description="A new architecture for the catalog.")
    assert ("topology", "new architecture") in _facts(arch, registry)
    # A denied exposure ("internal only") takes back that fact kind alone.
    denied = _form(**server, description="Internal only. Add a read replica for the catalog.")
    facts = _facts(denied, registry)
    assert ("data_work", "read replica") in facts and not {k for k, _ in facts} & {"exposure"}
    # A role's name is a routing instruction, not a data store.
    role = _form(**server, description="Have the database administrator resize the VM.")
    assert ("data_stores", "database") not in _facts(role, registry)
    placed = understand(_form(region="eu-west-1", replica_regions=["us-east-1"]), registry)
    assert [
        (f.kind, f.detail, f.evidence) for f in placed.facts if f.evidence.startswith("re")
    ] == [
        ("placement", "eu-west-1", "region"),
        ("topology", "replica in us-east-1", "replica_regions"),
    ]


def test_only_what_an_alert_watches_is_context(registry: Registry) -> None:
    watched = _form(component="monitoring", request="replication lag alert",
                    description="Alert when replication lag on the orders replica is high. "
                    "Also add a second read replica.")  # fmt: skip
    intent = understand(watched, registry)
    assert intent.watching
    assert any(f.detail == "read replica" and not f.context for f in intent.facts)


def test_a_redirect_names_the_word_the_topic_and_the_owner(registry: Registry) -> None:
    redirect = read_words(APP_CODE, registry, "me").redirect
    assert redirect is not None and redirect.reason == (
        "'frontend' is application-level code changes, owned by the owning domain division"
    )


def test_a_title_is_the_first_sentence_with_spaces_collapsed_up_to_120_characters(
    registry: Registry,
) -> None:
    def title(text: str) -> str:
        return str(parse_words(text, registry, "me").form["request"])

    assert title("Redis   cache\tfor the catalog.  It is slow.") == "Redis cache for the catalog."
    exact = "a" * 119 + "."
    assert title(exact) == exact
    longer = "b" * 120 + "."
    assert title(longer) == "b" * 117 + "..."


@pytest.mark.parametrize(
    ("text", "users"),
    [("for 1,500 users", 1500), ("for 2000 users", 2000), ("for 2.5k users", 2500)],
)
def test_expected_users_are_read_with_separators_and_suffixes(
    text: str, users: int, registry: Registry
) -> None:
    parsed = parse_words(f"a redis cache {text} in dev", registry, "me")
    assert parsed.form["expected_users"] == users


def test_a_component_word_listed_after_a_form_only_word_still_counts(registry: Registry) -> None:
    # "data" is skipped in words (form only); the database words after it still count.
    parsed = parse_words("add a pgbouncer for the orders service in dev", registry, "me")
    assert parsed.form["component"] == "database"


@pytest.mark.parametrize("rule", ["ingress rule", "egress rule"])
def test_the_longer_component_words_win_where_two_start(rule: str, registry: Registry) -> None:
    """Bug found by a survivor: "ingress rule" (firewall) was read as "ingress" (a load
    balancer) and "egress rule" as "egress" (the network), the first listed word winning."""
    parsed = parse_words(f"add an {rule} for the orders service in dev", registry, "me")
    assert (parsed.form["component"], parsed.evidence["component"]) == ("firewall", rule)


def test_a_cut_title_loses_its_trailing_space(registry: Registry) -> None:
    text = "a" * 116 + " " + "b" * 10
    assert parse_words(text, registry, "me").form["request"] == "a" * 116 + "..."


def test_a_dns_record_wins_over_a_word_inside_its_name(registry: Registry) -> None:
    """Bug found by a survivor: "api.example.com record" was read as "api" (Kubernetes)."""
    parsed = parse_words("add an api.example.com record for the shop in dev", registry, "me")
    assert (parsed.form["component"], parsed.evidence["component"]) == (
        "dns",
        "api.example.com record",
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("resize the cache, dev or prod", None),  # alternatives: asked, never picked
        ("staging then prod for the cache", ("prod", "staging and prod")),
        ("prod mirrors staging", ("prod", "prod")),  # several, none marked: production
    ],
)
def test_several_environments_are_production_asked_or_the_marked_one(
    text: str, found: tuple[str, str] | None, registry: Registry
) -> None:
    assert fields.environment(text, registry) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("prod/staging web servers need the glibc patch", ("prod", "prod")),
        ("dev/staging web servers need the glibc patch", None),
    ],
)
def test_several_unmarked_environments_are_production_if_it_is_among_them(
    text: str, found: tuple[str, str] | None, registry: Registry
) -> None:
    """Neither alternatives nor one marked target: production when named (its gate is the
    strictest), otherwise the environment is asked."""
    assert fields.environment(text, registry) == found
    parsed = parse_words(text, registry, "me")
    assert parsed.form.get("environment") == (found and found[0])
    assert ("environment" in parsed.missing) is (found is None)


@pytest.mark.parametrize(
    ("when", "start", "minutes"),
    [
        ("on 2026-12-05 02:00 UTC for 3 hours", "2026-12-05T02:00:00+00:00", 180),
        ("at 2026-12-05 22:30 for 45 minutes", "2026-12-05T22:30:00+00:00", 45),
        ("on 2026-12-05 02:00 UTC FOR 2 HOURS", "2026-12-05T02:00:00+00:00", 120),
        ("on 2026-12-05 02:00 UTC", "2026-12-05T02:00:00+00:00", 120),  # two hours unless said
        ("on 2026-12-05 02:00 UTC for 10 minutes", "2026-12-05T02:00:00+00:00", 15),  # at least
    ],
)
def test_a_maintenance_window_is_read_from_the_words(
    when: str, start: str, minutes: int, registry: Registry
) -> None:
    parsed = parse_words(f"Resize the orders db in prod {when}", registry, "me")
    window = {"start": start, "duration_minutes": minutes}
    assert parsed.form["maintenance_window"] == window
    assert parsed.evidence["maintenance_window"] == when.split(" ", 1)[1]
    request, problems = to_request(parsed)
    assert problems == []
    assert request is not None and request.maintenance_window is not None


def test_the_minimum_window_is_fifteen_minutes(registry: Registry) -> None:
    parsed = parse_words(
        "Patch the web servers in prod at 2026-12-05 02:00 for 15 minutes", registry, "me"
    )
    assert parsed.form["maintenance_window"]["duration_minutes"] == 15


def test_the_reason_and_the_deadline_are_read_with_their_words(registry: Registry) -> None:
    text = (
        "Resize the orders db in prod because checkout latency doubled last week. Needed by Friday."
    )
    parsed = parse_words(text, registry, "me")
    assert parsed.form["justification"] == "checkout latency doubled last week"
    assert parsed.evidence["justification"] == "because checkout latency doubled last week"
    assert (parsed.form["timeline"], parsed.evidence["timeline"]) == ("by Friday", "by Friday")
    bare = parse_words("Resize the orders db in prod", registry, "me")
    assert (bare.form["justification"], bare.form["timeline"]) == (NOT_STATED, NOT_STATED)


def test_the_expected_users_keep_the_words_that_said_them(registry: Registry) -> None:
    parsed = parse_words("a redis cache for 2.5k daily users in dev", registry, "me")
    assert (parsed.form["expected_users"], parsed.evidence["expected_users"]) == (
        2500,
        "2.5k daily users",
    )


@pytest.mark.parametrize(
    "text",
    [
        "Set up a VPN from the prod VPC to Acme's datacenter network",  # our own company
        "Open 443 from the prod payments VPC to the Bank's API",  # no one by name
    ],
)
def test_our_own_and_generic_names_are_no_third_party(text: str, registry: Registry) -> None:
    assert "integrations" not in parse_words(text, registry, "me").form


def test_a_roster_without_removal_or_change_words_still_reads_the_type(
    registry: Registry,
) -> None:
    """A shop's roster may list no type words: the wording decides, and no word crashes."""
    routing = registry.routing
    synonyms = routing.synonyms.model_copy(update={"type": {}})
    shop = registry.model_copy(
        update={"request_routing": routing.model_copy(update={"synonyms": synonyms})}
    )
    assert fields.change_type("decommission the legacy ftp box in dev", shop) == (
        "Modify",
        "names something that exists",
    )
    assert fields.change_type("Redis cache for catalog in dev", shop) == (
        "New",
        "no change or removal wording: a new request",
    )
    assert fields.change_type("decommission the legacy ftp box in dev", registry) == (
        "Remove",
        "decommission",
    )


def test_what_the_type_was_read_from_is_shown(registry: Registry) -> None:
    plain = parse_words("Redis cache for catalog in dev", registry, "me")
    assert (plain.form["type"], plain.evidence["type"]) == (
        "New",
        "no change or removal wording: a new request",
    )
    existing = parse_words("the billing db in prod is too slow", registry, "me")
    assert (existing.form["type"], existing.evidence["type"]) == (
        "Modify",
        "names something that exists",
    )


def test_a_new_thing_named_after_a_part_is_still_new(registry: Registry) -> None:
    # "flag" is a part of something that exists ("add a flag"), but "a new flag service" is new.
    assert fields.change_type("create a new flag service for the web team in dev", registry) == (
        "New",
        "create",
    )
    assert fields.change_type("add a flag to the checkout service in dev", registry)[0] == "Modify"
    # "the new" describes; the verb after it still adds a part to what exists.
    text = "The new team will create an index on orders.user_id in prod"
    assert fields.change_type(text.lower(), registry) == ("Modify", "create")


@pytest.mark.parametrize(
    "text",
    ["expect a large number of uploads", "Large volume of uploads expected"],
)
def test_a_large_amount_of_something_is_no_size(text: str, registry: Registry) -> None:
    parsed = parse_words(f"new s3 bucket for the media service in dev; {text}", registry, "me")
    assert "size" not in parsed.form
    sized = parse_words("a large redis cache for the media service in dev", registry, "me")
    assert sized.form["size"] == "large"


def test_several_regimes_and_vendors_keep_all_their_words(registry: Registry) -> None:
    text = "Send order events from checkout in prod to Stripe and Twilio; GDPR and PCI apply"
    parsed = parse_words(text, registry, "me")
    assert (parsed.form["compliance"], parsed.evidence["compliance"]) == (
        ["gdpr", "pci-dss"],
        "gdpr, pci-dss",
    )
    assert (parsed.form["integrations"], parsed.evidence["integrations"]) == (
        ["stripe", "twilio"],
        "stripe, twilio",
    )


def test_the_service_keeps_the_words_that_named_it(registry: Registry) -> None:
    parsed = parse_words("resize the cart service in prod", registry, "me")
    assert (parsed.form["service"], parsed.evidence["service"]) == ("cart", "the cart service")


def test_a_component_word_of_the_design_is_no_service_name(registry: Registry) -> None:
    # "website" names a design component (web), not which service.
    parsed = parse_words("Scale the website deployment to 4 pods in prod", registry, "me")
    assert "service" not in parsed.form


@pytest.mark.parametrize(
    ("text", "ports", "evidence"),
    [
        ("Open Port 9443 on the prod lb", [9443], "Port 9443"),
        ("the db at db.internal:6432 in prod", [6432], ":6432"),
        ("allow port 65535 on the firewall in dev", [65535], "port 65535"),
        (
            "allow port 443 from the office, port 443 from the vpn and port 9100 from prometheus",
            [443, 9100],
            "port 443",
        ),
        (
            "the app at https://shop.example.com:8443 must reach port 5432 on the prod db",
            [5432],
            "port 5432",
        ),
    ],
)
def test_ports_are_read_once_each_with_their_words(
    text: str, ports: list[int], evidence: str, registry: Registry
) -> None:
    assert fields.ports(text) == (ports, evidence)


@pytest.mark.parametrize(
    "text",
    [
        "allow port 65536 on the firewall in dev",  # no such port
        "Patch the prod web servers tonight (22:00 UTC)",  # a clock time, not ssh
    ],
)
def test_what_is_no_port_is_not_read_as_one(text: str) -> None:
    assert fields.ports(text) is None
