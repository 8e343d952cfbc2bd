"""Steps that keep every core busy say so, so that background start-up work waits for them.

The embedding runtime runs one multi-threaded forward pass after another on all cores; work started
beside it competes for them. Measured in two cold reports minutes apart: with five notebook workers
started at once beside the embedding, user CPU rose from 112 s to 131 s and wall time from 84 s to
100 s. Such a step runs inside :func:`all_cores`; background work that can wait calls
:func:`wait_for_a_free_core` before it starts.
Process-local and advisory: it only orders this process's own work.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_state = threading.Condition()
_busy = 0


@contextmanager
def all_cores() -> Iterator[None]:
    """Mark the enclosed step as using every core (nestable, thread-safe)."""
    global _busy
    with _state:
        _busy += 1
    try:
        yield
    finally:
        with _state:
            _busy -= 1
            _state.notify_all()


def cores_busy() -> bool:
    """Whether some step of this process is inside :func:`all_cores` now."""
    with _state:
        return _busy > 0


def wait_for_a_free_core(timeout: float | None = None) -> bool:
    """Block until no step is inside :func:`all_cores`; returns False if ``timeout`` passed first."""
    with _state:
        return _state.wait_for(lambda: _busy == 0, timeout)
