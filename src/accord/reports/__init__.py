"""Transparency and equity reports: figures from the node's records, checkable against its log."""
