"""Fixtures of the core tests: a temporary home and cache, a local HTTP server (MNIST download tests), a
trainer serving in a spawned child (the serve tests)."""
from mnist_support import closed_port_url, home, server  # noqa: F401 - registered as fixtures
from serve_support import child  # noqa: F401 - registered as a fixture
