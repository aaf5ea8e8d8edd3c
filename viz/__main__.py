"""``python -m viz``: start the Uncrumple app (same as the ``uncrumple`` command)."""
import sys

if __name__ == "__main__":
    # imported here, not at the top: spawn's trainer processes re-import this module and need no Qt
    from viz.app.main import main

    sys.exit(main())
