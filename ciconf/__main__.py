from ciconf.cli import run

run()
