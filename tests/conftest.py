"""Shared test setup: headless Qt and strict warnings (see pyproject's pytest options)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
