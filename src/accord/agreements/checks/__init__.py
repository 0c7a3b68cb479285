"""Compiled clauses: each check reads a ``Context`` and records reasons in ``Findings``."""
