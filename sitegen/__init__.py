"""sitegen: a static site generator for paper listings."""

__version__ = "0.1.0"
