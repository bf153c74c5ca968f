"""Exporters that package the team for other agent tools (a Claude Code plugin)."""
