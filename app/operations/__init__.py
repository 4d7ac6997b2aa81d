"""Named write operations shared by the web views and the CLI.

Each function flushes and returns what it created; the caller (a request or a CLI command)
commits once at the end.
"""
