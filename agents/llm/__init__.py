"""The optional chat model inside the roles: the model proposes, the playbook checks."""
