"""Alembic migrations of the history store.

``HEAD_REVISION`` names the newest revision shipped, so opening a current store costs one
query instead of loading Alembic; a test keeps it equal to the scripts' head.
"""

HEAD_REVISION = "0006"
