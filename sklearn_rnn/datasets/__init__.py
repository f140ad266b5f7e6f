"""Tiny bundled corpora and their loaders."""

from ._sentiment import load_sentiment

__all__ = ["load_sentiment"]
