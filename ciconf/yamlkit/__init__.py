"""YAML in and out: bounded loading with positions, deterministic emitting with named anchors."""
