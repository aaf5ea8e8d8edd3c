"""``python -m core``: the engine's command line (see :mod:`core.cli`)."""
import sys

from .cli import main

sys.exit(main())
