"""The HTTP API and the web chat (FastAPI; static page shipped in the wheel)."""
