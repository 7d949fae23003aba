from tracegen.cli import run

run()
