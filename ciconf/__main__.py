from ciconf.entry import run

run()
