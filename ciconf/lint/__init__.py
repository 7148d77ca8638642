"""`ciconf lint`: CircleCI's official schema plus the checks it cannot express."""
