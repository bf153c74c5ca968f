"""The real AWS provider-schema cache (``-m validators``): what the compactor read from the
120 MB JSII assembly matches the provider's documented schema on types the bundles use."""

from __future__ import annotations

import pytest

from opsteam.tools.tfschema.model import ProviderSchema

pytestmark = pytest.mark.validators


def test_the_cache_is_aws_provider_5(provider_schema: ProviderSchema) -> None:
    assert provider_schema.provider == "aws"
    assert provider_schema.version.startswith("5.")
    assert len(provider_schema.resource_names()) > 1400
    assert len(provider_schema.data_names()) > 500


def test_arguments_optionality_and_nesting_match_the_provider(
    provider_schema: ProviderSchema,
) -> None:
    db = provider_schema.resource("aws_db_instance")
    assert db is not None
    assert db.body.arguments["instance_class"] is True  # required
    assert db.body.arguments["multi_az"] is False
    assert {"endpoint", "address", "arn", "id"} <= db.attributes
    target_group = provider_schema.resource("aws_lb_target_group")
    assert target_group is not None and target_group.body.blocks["health_check"].single
    group = provider_schema.resource("aws_security_group")
    assert group is not None and not group.body.blocks["ingress"].single  # repeatable
    versioning = provider_schema.resource("aws_s3_bucket_versioning")
    assert versioning is not None
    assert versioning.body.blocks["versioning_configuration"].required
    acl = provider_schema.resource("aws_wafv2_web_acl")
    assert acl is not None
    rule = acl.body.blocks["rule"].body
    assert rule is not None and rule.blocks["statement"].body is None  # cdktf types it "any"


def test_names_come_from_the_registry_links_not_camel_case(
    provider_schema: ProviderSchema,
) -> None:
    # camelCase "addressLine1" would give address_line1; the provider calls it address_line_1.
    contact = provider_schema.resource("aws_account_primary_contact")
    assert contact is not None and "address_line_1" in contact.body.arguments
    instance = provider_schema.resource("aws_instance")
    assert instance is not None and "get_password_data" in instance.body.arguments
    identity = provider_schema.data_source("aws_caller_identity")
    assert identity is not None and {"account_id", "arn", "user_id"} <= identity.attributes
    assert provider_schema.resource("aws_s3_bucket_typo") is None
