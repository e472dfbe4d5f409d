"""sitegen: a static site generator for paper listings."""

__version__ = "0.2.0"
