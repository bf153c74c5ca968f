"""Boundaries to the outside world (validators, kubernetes, AWS), each behind a small interface."""
