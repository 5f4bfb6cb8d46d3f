"""``python -m rtvi_actors``: run the server (see :mod:`rtvi_actors.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
