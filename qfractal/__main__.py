from qfractal.cli import app

app(prog_name="qfractal")
