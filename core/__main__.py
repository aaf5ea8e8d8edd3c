"""``python -m core``: the engine's command line (see :mod:`core.run.cli`)."""
import sys

from core.run.cli import main

sys.exit(main())
