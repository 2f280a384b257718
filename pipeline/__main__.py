"""``python -m pipeline`` is the ``devin-audit`` command."""

from pipeline.cli import app

app(prog_name="devin-audit")
