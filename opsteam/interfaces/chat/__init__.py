"""The terminal chat: prompt_toolkit line editing, Rich output, the shared engine."""
