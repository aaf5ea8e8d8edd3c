"""Fixtures of the core tests: a temporary home and cache, a local HTTP server (MNIST download tests)."""
from mnist_support import closed_port_url, home, server  # noqa: F401 - registered as fixtures
