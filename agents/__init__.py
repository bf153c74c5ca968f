"""The six role agents: one module per seat, each with a pure ``decide`` and a ``render``."""
