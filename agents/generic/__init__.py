"""Roles added to the roster as data: the generic role and playbooks from entry points."""
