"""Packaged jinja2 templates; loaded through :mod:`opsteam.templates` only."""
