"""`python -m turnstile.cli`: the same as the `turnstile` console script."""

from .main import app

app(prog_name="turnstile")
