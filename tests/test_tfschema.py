"""tf-schema, pure parts: the checker on a small fixture schema with planted defects, the
expression scanner, the compactor on a synthetic JSII assembly, the cache builder and store."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from opsteam.domain.models import Artifact, ValidationStatus
from opsteam.domain.settings import load_settings
from opsteam.tools.tfschema import build
from opsteam.tools.tfschema.compact import compact, snake_case
from opsteam.tools.tfschema.hcl import code_of, iterators, references
from opsteam.tools.tfschema.model import ProviderSchema, SchemaFormatError
from opsteam.tools.tfschema.modules import check_files
from opsteam.tools.tfschema.store import CachedSchemaStore, cache_path
from opsteam.tools.validators import validate_bundle
from tests.fakes import FAKE_AWS_SCHEMA, fake_schema_store, tf_schema_finding

PASSED, FAILED = ValidationStatus.PASSED, ValidationStatus.FAILED
ERROR, NOT_INSTALLED = ValidationStatus.ERROR, ValidationStatus.NOT_INSTALLED
SCHEMA = ProviderSchema.from_dict(FAKE_AWS_SCHEMA)

MAIN_TF = """\
provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "ports" {
  type    = list(number)
  default = [443]
}

locals {
  tags = { Service = "demo" }
}

data "aws_caller_identity" "current" {}
"""

NETWORK_TF = """\
resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
  tags       = merge(local.tags, { Name = "demo" })
}

resource "aws_security_group" "web" {
  name   = "web-${data.aws_caller_identity.current.account_id}"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.main.cidr_block]
  }
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = [for cidr in [aws_vpc.main.cidr_block] : cidr]
    }
  }
  statement {
    anything = { goes = "here" }
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "demo-logs"
  logging {
    target_bucket = "elsewhere"
  }
  lifecycle {
    ignore_changes = [tags]
  }
  depends_on = [aws_security_group.web]
}

output "bucket_arn" {
  value = "${aws_s3_bucket.logs.arn} in arn:aws:s3:::aws_vpc.fake.id"
}
"""


def test_a_clean_module_passes_with_references_across_files() -> None:
    verdicts = check_files(
        SCHEMA, {"terraform/main.tf": MAIN_TF, "terraform/network.tf": NETWORK_TF}
    )
    assert {path: v.status for path, v in verdicts.items()} == {
        "terraform/main.tf": PASSED, "terraform/network.tf": PASSED,
    }  # fmt: skip
    assert all(not v.findings for v in verdicts.values())


PLANTED = """\
resource "aws_s3_bucket_typo" "a" {
  bucket = "x"
}

resource "aws_s3_bucket" "b" {
  buckett = "x"
  logging {
    target_prefix = "p/"
  }
  logging {
    target_bucket = "y"
  }
  tags {
    a = "b"
  }
  versioning {
    enabled = true
  }
}

resource "aws_security_group" "c" {
  vpc_id = aws_vpc.ghost.id
  name   = aws_s3_bucket.b.no_such_attribute
  ingress {
    from_port = 1
  }
  dynamic "egres" {
    for_each = var.missing
    content {}
  }
}

data "aws_caller_identity" "me" {}

resource "aws_vpc" "d" {
  cidr_block = local.nowhere
  tags       = { A = data.aws_caller_identity.me.nope, B = data.aws_caller_identity.you.arn }
}

resource "aws_vpc" "d" {}
"""


def test_every_planted_defect_is_reported_where_it_is() -> None:
    verdict = check_files(SCHEMA, {"terraform/bad.tf": PLANTED})["terraform/bad.tf"]
    assert verdict.status is FAILED
    got = {(f.check_id, f.resource, f.line) for f in verdict.findings}
    assert got == {
        ("tf-unknown-type", "aws_s3_bucket_typo.a", 1),
        ("tf-unknown-argument", "aws_s3_bucket.b", 6),
        ("tf-missing-argument", "aws_s3_bucket.b", 7),  # logging without target_bucket
        ("tf-single-block", "aws_s3_bucket.b", 7),
        ("tf-not-a-block", "aws_s3_bucket.b", 13),
        ("tf-unknown-block", "aws_s3_bucket.b", 16),
        ("tf-undeclared", "aws_security_group.c", 22),
        ("tf-unknown-attribute", "aws_security_group.c", 23),
        ("tf-missing-argument", "aws_security_group.c", 24),  # ingress without to_port/protocol
        ("tf-unknown-block", "aws_security_group.c", 27),
        ("tf-undeclared", "aws_security_group.c", 28),
        ("tf-undeclared", "aws_vpc.d", 36),
        ("tf-unknown-attribute", "aws_vpc.d", 37),
        ("tf-undeclared", "aws_vpc.d", 37),
        ("tf-duplicate", "aws_vpc.d", 40),
    }
    messages = {str(f) for f in verdict.findings}
    assert any('unknown argument "buckett"' in m and 'did you mean "bucket"' in m for m in messages)
    assert any("reference to undeclared resource aws_vpc.ghost" in m for m in messages)
    assert any('aws_s3_bucket has no attribute "no_such_attribute"' in m for m in messages)
    assert any('undeclared variable "missing"' in m for m in messages)
    assert any('undeclared local value "nowhere"' in m for m in messages)
    assert any("undeclared data source data.aws_caller_identity.you" in m for m in messages)
    assert any('block "logging" may appear at most once' in m for m in messages)
    assert sum("is missing required argument" in m for m in messages) == 3


def test_other_providers_warn_but_do_not_fail() -> None:
    text = 'resource "random_password" "db" {\n  length = 24\n}\n'
    text += 'resource "terraform_data" "marker" {\n  input = random_password.db.result\n}\n'
    verdict = check_files(SCHEMA, {"terraform/main.tf": text})["terraform/main.tf"]
    assert verdict.status is PASSED
    assert [(f.check_id, f.severity) for f in verdict.findings] == [("tf-no-schema", "warning")]


def test_removed_blocks_name_what_is_gone_and_moved_targets_must_exist() -> None:
    text = (
        "removed {\n  from = aws_vpc.old\n  lifecycle {\n    destroy = true\n  }\n}\n"
        "moved {\n  from = aws_vpc.before\n  to   = aws_vpc.after\n}\n"
    )
    verdict = check_files(SCHEMA, {"terraform/main.tf": text})["terraform/main.tf"]
    assert [str(f) for f in verdict.findings] == [
        "tf-undeclared: reference to undeclared resource aws_vpc.after (moved, line 9)"
    ]


def test_a_file_that_does_not_parse_leaves_its_module_unchecked() -> None:
    verdicts = check_files(SCHEMA, {
        "terraform/main.tf": MAIN_TF, "terraform/broken.tf": 'resource "aws_vpc" "x" {\n',
        "other/ok.tf": 'resource "aws_vpc" "y" {}\n',
    })  # fmt: skip
    assert verdicts["terraform/main.tf"].status is ERROR
    assert "terraform/broken.tf does not parse" in str(verdicts["terraform/main.tf"].findings[0])
    assert verdicts["terraform/broken.tf"].status is ERROR
    assert verdicts["other/ok.tf"].status is PASSED


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${aws_subnet.a[0].id}", [("aws_subnet", ("a", "id"))]),
        ("${aws_subnet.a[*].id}", [("aws_subnet", ("a", "id"))]),
        ("${aws_subnet.a.*.id}", [("aws_subnet", ("a", "id"))]),
        ('${local.m["k"].v}', [("local", ("m", "v"))]),
        ("x-${var.a}-y", [("var", ("a",))]),
        ("arn:aws:s3:::aws_vpc.fake.id/*", []),
        ("$${var.escaped}", []),
        ('${jsonencode({A = "arn:${data.aws_partition.p.partition}:x", B = "var.no"})}',
         [("data", ("aws_partition", "p", "partition"))]),
        ("<<EOT\n{\"Resource\": \"${aws_s3_bucket.b.arn}/*\"}\nEOT",
         [("aws_s3_bucket", ("b", "arn"))]),
        ("${cidrsubnet(var.cidr, 4, count.index-1)}", [("var", ("cidr",)), ("count", ("index",))]),
        ("${provider::aws::arn_parse(var.arn).region}", [("var", ("arn",))]),
        ("${jsondecode(var.j).key}", [("var", ("j",))]),
    ],
)  # fmt: skip
def test_references_come_only_from_expression_code(
    value: str, expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    assert [(r.root, r.steps) for r in references(code_of(value))] == expected


def test_for_expressions_bind_their_names() -> None:
    code = code_of("${{for k, v in var.m : k => v.id}}")
    assert iterators(code) == {"k", "v"}


# ---------------------------------------------------------------- compacting a JSII assembly


def _prop(name: str, snake: str, type_: dict[str, Any], *, optional: bool = True,
          block: bool = False) -> dict[str, Any]:  # fmt: skip
    registry = "https://registry.terraform.io/providers/hashicorp/aws/5.99.1/docs/resources"
    link = f"{{@link {registry}/thing#{snake} Thing#{snake}}}"
    docs = {"summary": f"{snake} block.", "remarks": f"Docs at Terraform Registry: {link}"}
    prop: dict[str, Any] = {"name": name, "type": type_,
                            "docs": docs if block else {"summary": f"Docs: {link}."}}  # fmt: skip
    if optional:
        prop["optional"] = True
    return prop


def _class(fqn: str, base: str, kind: str, tf_name: str, config: str) -> dict[str, Any]:
    return {
        "kind": "class", "base": base, "fqn": fqn,
        "docs": {"summary": f"Represents a {{@link https://registry.terraform.io/providers/"
                            f"hashicorp/aws/5.99.1/docs/{kind}/{tf_name[4:]} {tf_name}}}."},
        "initializer": {"parameters": [{"name": "scope"}, {"name": "id"},
                                       {"name": "config", "type": {"fqn": config}}]},
        "properties": [
            {"name": "tfResourceType", "static": True, "type": {"primitive": "string"}},
            {"name": "arn", "type": {"primitive": "string"}},
            {"name": "hostedZoneId", "type": {"primitive": "string"}},
            {"name": "nameInput", "type": {"primitive": "string"}},
            {"name": "name", "type": {"primitive": "string"}},
        ],
    }  # fmt: skip


STRING, STRUCT = {"primitive": "string"}, "p.thing.ThingNested"
ASSEMBLY: dict[str, Any] = {"types": {
    "p.provider.AwsProvider": {
        "kind": "class", "base": "cdktf.TerraformProvider", "fqn": "p.provider.AwsProvider",
        "docs": {"summary": "Represents a {@link https://registry.terraform.io/providers/"
                            "hashicorp/aws/5.99.1/docs aws}."},
        "initializer": {"parameters": [{"name": "config",
                                        "type": {"fqn": "p.provider.AwsProviderConfig"}}]},
    },
    "p.provider.AwsProviderConfig": {"kind": "interface", "datatype": True, "properties": [
        _prop("region", "region", STRING)]},
    "p.thing.Thing": _class("p.thing.Thing", "cdktf.TerraformResource", "resources",
                            "aws_thing", "p.thing.ThingConfig"),
    "p.thing.ThingConfig": {"kind": "interface", "datatype": True, "properties": [
        _prop("name", "name", STRING, optional=False),
        _prop("addressLine1", "address_line_1", STRING),
        _prop("single", "single", {"fqn": STRUCT}, block=True),
        _prop("many", "many", {"union": {"types": [
            {"fqn": "cdktf.IResolvable"},
            {"collection": {"kind": "array", "elementtype": {"fqn": STRUCT}}}]}}, block=True),
        _prop("statement", "statement", {"primitive": "any"}, block=True),
    ]},
    STRUCT: {"kind": "interface", "datatype": True, "properties": [
        _prop("value", "value", STRING, optional=False)]},
    "p.dataAwsThing.DataAwsThing": _class("p.dataAwsThing.DataAwsThing",
                                          "cdktf.TerraformDataSource", "data-sources",
                                          "aws_thing", "p.thing.ThingConfig"),
}}  # fmt: skip


def test_compact_reads_names_optionality_and_nesting_from_the_assembly() -> None:
    cache = compact(ASSEMBLY, "fixture==1")
    schema = ProviderSchema.from_dict(cache)
    assert (schema.provider, schema.version) == ("aws", "5.99.1")
    assert dict(schema.provider_config.arguments) == {"region": False}
    thing = schema.resource("aws_thing")
    assert thing is not None and schema.data_source("aws_thing") is not None
    assert dict(thing.body.arguments) == {"name": True, "address_line_1": False}
    single, many, statement = (thing.body.blocks[n] for n in ("single", "many", "statement"))
    assert (single.single, many.single) == (True, False)
    assert single.body is not None and dict(single.body.arguments) == {"value": True}
    assert statement.body is None  # typed "any": shape unknown, never checked deeper
    assert thing.attributes == {"id", "arn", "hosted_zone_id", "name", "address_line_1",
                                "single", "many", "statement"}  # fmt: skip
    assert snake_case("hostedZoneId") == "hosted_zone_id"


def test_compact_refuses_an_assembly_without_resources() -> None:
    with pytest.raises(ValueError, match="no Terraform provider"):
        compact({"types": {}}, "x")


def _wheel(path: Path, assembly: dict[str, Any]) -> Path:
    payload = json.dumps(assembly).encode()
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/.jsii")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("pkg/_jsii/provider-aws@1.0.0.jsii.tgz", packed.getvalue())
    return path


def test_build_writes_a_cache_the_store_loads(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "p-1.0-py3-none-any.whl", ASSEMBLY)
    out = tmp_path / "tools" / "tf-schema" / "aws.json"
    assert build.main([str(wheel), str(out), "--source", "p==1.0"]) == 0
    assert out.read_text().startswith('{"format":1,"source":"p==1.0"')
    loaded = CachedSchemaStore(out).load()
    assert loaded is not None and loaded.resource("aws_thing") is not None
    assert CachedSchemaStore(tmp_path / "absent.json").load() is None


def test_build_rejects_a_wheel_without_an_assembly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = tmp_path / "empty.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("pkg/__init__.py", "")
    out = tmp_path / "aws.json"
    assert build.main([str(wheel), str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "_jsii" in err[0]
    assert not out.exists()


def test_cache_path_follows_settings(tmp_path: Path) -> None:
    explicit = tmp_path / "schema.json"
    assert cache_path(load_settings({"OPSTEAM_TF_SCHEMA": str(explicit)})) == explicit
    tools = load_settings({"OPSTEAM_TOOLS": str(tmp_path / "t")})
    assert cache_path(tools) == tmp_path / "t" / "tf-schema" / "aws.json"


def test_an_unreadable_cache_is_an_error_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform/main.tf").write_text('resource "aws_vpc" "a" {}\n')
    bad = tmp_path / "aws.json"
    bad.write_text(json.dumps({"format": 99}))
    with pytest.raises(SchemaFormatError):
        CachedSchemaStore(bad).load()
    artifact = Artifact(path="terraform/main.tf", role="automation-engineer", kind="terraform",
                        content="")  # fmt: skip
    results = validate_bundle(tmp_path, [artifact], runner=_NoTools(),
                              schemas=CachedSchemaStore(bad))  # fmt: skip
    [schema_result] = [r for r in results if r.validator == "tf-schema"]
    assert schema_result.status is ERROR
    assert "rebuild it with make validators" in str(schema_result.findings[0])


class _NoTools:
    def which(self, program: str) -> str | None:
        return None

    def run(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nothing should run")


def test_fake_findings_have_the_real_shape(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform/main.tf").write_text('resource "aws_vpc" "a" {\n  colour = "x"\n}\n')
    artifact = Artifact(path="terraform/main.tf", role="automation-engineer", kind="terraform",
                        content="")  # fmt: skip
    results = validate_bundle(tmp_path, [artifact], runner=_NoTools(),
                              schemas=fake_schema_store())  # fmt: skip
    [real] = [f for r in results if r.validator == "tf-schema" for f in r.findings]
    assert real == tf_schema_finding("tf-unknown-argument", "aws_vpc.a", "terraform/main.tf",
                                     'unknown argument "colour" in aws_vpc.a', 2)  # fmt: skip
