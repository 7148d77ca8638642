"""CircleCI side: build the config as data (build.py), then write it as anchored YAML
(render.py)."""
