"""A Flask "hello world": the ceiling a page can approach under the same gunicorn settings.

gunicorn bench.hello:app
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """The smallest page Flask can serve."""
    return "Hello, World!"
