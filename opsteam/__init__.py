"""opsteam: an infrastructure & operations team as a LangGraph multi-agent system."""

__version__ = "0.1.0"
