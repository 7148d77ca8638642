"""CircleCI machine-image tag forms, shared by the profile grammar and `ciconf lint` (CC307).

Kept free of pydantic so that linting a config does not import the profile models.
"""

# the older dated tags ("ubuntu-2004:202107-02"): accepted in profiles, noted by `ciconf lint`
# because CircleCI deprecates and removes the images they name
LEGACY_MACHINE_TAG = r"[0-9]{6}-[0-9]{2}"
