"""workbench.core.busy: background work waits while a step keeps every core busy."""

from __future__ import annotations

import threading
import time

from workbench.core import busy


def test_waiting_returns_at_once_when_no_step_is_busy():
    assert not busy.cores_busy()
    assert busy.wait_for_a_free_core(timeout=0.01) is True


def test_waiting_blocks_until_the_last_busy_step_ends_and_nesting_counts():
    released = threading.Event()
    waited = {}

    def waiter() -> None:
        start = time.perf_counter()
        waited["ok"] = busy.wait_for_a_free_core(timeout=10)
        waited["after_release"] = released.is_set()
        waited["s"] = time.perf_counter() - start

    with busy.all_cores():
        with busy.all_cores():
            assert busy.cores_busy()
            assert busy.wait_for_a_free_core(timeout=0.05) is False  # times out while busy
            thread = threading.Thread(target=waiter)
            thread.start()
            time.sleep(0.2)
        assert busy.cores_busy()  # the outer step is still running
        time.sleep(0.1)
        released.set()
    thread.join(timeout=10)
    assert waited == {"ok": True, "after_release": True, "s": waited["s"]} and waited["s"] >= 0.3
    assert not busy.cores_busy()


def test_a_step_that_raises_still_releases_the_cores():
    try:
        with busy.all_cores():
            raise ValueError("boom")
    except ValueError:
        pass
    assert not busy.cores_busy()
