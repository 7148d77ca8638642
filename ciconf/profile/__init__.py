"""Profiles: the typed input of ciconf (models, safe loading, derived values)."""
