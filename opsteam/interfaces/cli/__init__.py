"""The command line: a thin translation to the application layer."""
