"""Default paths and size limits that the front end and the loaders below it share.

The front end (ciconf.actions, reached by the fast entry point) reads them without importing the
loaders and renderers; those import them from here, so each value is written once.
"""

DEFAULT_PROFILE = "ciconf.yaml"
DEFAULT_CONFIG = ".circleci/config.yml"
DEFAULT_STACKS_DIR = "cloudformation"  # where `render` and `cfn` put the stacks
CONFIG_MAX_BYTES = 64 * 1024 * 1024
PROFILE_MAX_BYTES = 1024 * 1024
