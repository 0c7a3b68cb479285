"""Accord: node software for trustworthy cross-border research data sharing."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("accord")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
