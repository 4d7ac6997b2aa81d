"""Named reads shared by the blueprints, the CLI and the operations.

Writes live in :mod:`app.operations`; these functions only read (one module per aggregate)
and never flush or commit.
"""
