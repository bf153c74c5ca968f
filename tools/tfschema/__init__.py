"""Offline Terraform provider-schema check (validator ``tf-schema``).

The AWS provider's schema comes from the JSII assembly shipped in a cdktf PyPI wheel, compacted
once at validator-install time (``build``) into a small JSON cache; ``check`` is pure (schema and
parsed HCL in, findings out), ``store`` finds and loads the cache.
"""
