"""Exports: a view as PNG/SVG on white, every view at once, the history as CSV, animated GIFs."""
