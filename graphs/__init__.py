"""LangGraph workflows: they hold only flow (nodes, Send fan-out, interrupts, gates)."""
