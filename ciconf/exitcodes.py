"""ciconf's exit codes, the same for every command: 0 ok, 1 drift or findings, 2 usage or input
error (README, "Commands").

Imported by the fast entry point's actions, so this module imports nothing.
"""

OK = 0
FINDINGS = 1  # lint findings, drift (`check`), a re-import that differs, a file `render` rewrote
INPUT_ERROR = 2  # bad usage or a bad input file; nothing was written
