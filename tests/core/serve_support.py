"""The training process's command loop in a spawned child, over a real pipe (the serve tests)."""
import multiprocessing as mp

import pytest

from core.run.config import TrainingConfig
from core.run.serve import serve

#: seconds a test waits for a message from the trainer
TIMEOUT = 30


@pytest.fixture
def child():
    """``start(config)`` -> (connection, process): a trainer serving ``config``; stopped and joined after the test."""
    ctx = mp.get_context("spawn")
    conn, child_conn = ctx.Pipe()
    procs = []

    def start(config=TrainingConfig(n_samples=200)):
        p = ctx.Process(target=serve, args=(child_conn, config), daemon=True)
        p.start()
        procs.append(p)
        return conn, p

    yield start
    for p in procs:
        if p.is_alive():
            try:
                conn.send(("stop",))
            except OSError:
                pass
            p.join(10)
        assert not p.is_alive()
    conn.close()


def recv(conn):
    """The trainer's next message (failing the test after :data:`TIMEOUT` s of silence)."""
    assert conn.poll(TIMEOUT), "no message from the trainer"
    return conn.recv()
