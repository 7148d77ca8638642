"""ciconf: one typed profile per service -> an anchored CircleCI config and its AWS pipeline."""

__version__ = "0.1.0"
