"""Generated shell: every command line that ciconf writes comes from commands.py."""
