"""ciconf: one typed profile per service -> an anchored CircleCI config and its AWS pipeline."""

__version__ = "0.3.0"  # the release process: docs/releasing.md
