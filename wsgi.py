"""WSGI entry point: `gunicorn wsgi:app`, and `flask --app wsgi ...` for commands."""

import sys

from demo.commands import demo_cli
from portal import ConfigurationError, create_app

try:
    app = create_app()
except ConfigurationError as error:
    # One line saying what to set, for gunicorn's log and for `flask --app wsgi …`, rather than
    # a traceback of the app factory.
    sys.exit(f"产融通 cannot start: {error}")

app.cli.add_command(demo_cli)  # `flask --app wsgi demo seed|run`
