"""The MCP server (``opsteam mcp``): the team as tools for agents that delegate Task-style."""
