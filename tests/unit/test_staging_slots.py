"""The process's staging slots: small files a few at a time, a large one alone, whatever
the number of members staged side by side."""

import threading

from pipelines.staging import PARALLEL_BELOW, _Slots

SMALL, LARGE = 1024, PARALLEL_BELOW + 1


def _inside(slots: _Slots, size: int, entered: threading.Event, leave: threading.Event) -> threading.Thread:
    def hold():
        with slots.hold(size):
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    return thread


def test_a_large_file_waits_for_the_small_ones_and_they_wait_for_it():
    slots = _Slots(2)
    small_in, small_out = threading.Event(), threading.Event()
    large_in, large_out = threading.Event(), threading.Event()
    _inside(slots, SMALL, small_in, small_out)
    assert small_in.wait(5)
    large = _inside(slots, LARGE, large_in, large_out)
    assert not large_in.wait(0.3)  # a small file is being staged
    small_out.set()
    assert large_in.wait(5)
    late_in, late_out = threading.Event(), threading.Event()
    _inside(slots, SMALL, late_in, late_out)
    assert not late_in.wait(0.3)  # nothing beside a large file
    large_out.set()
    large.join(5)
    assert late_in.wait(5)
    late_out.set()


def test_small_files_go_up_to_the_number_of_slots():
    slots = _Slots(2)
    events = [(threading.Event(), threading.Event()) for _ in range(3)]
    for entered, leave in events:
        _inside(slots, SMALL, entered, leave)
    assert events[0][0].wait(5) and events[1][0].wait(5)
    assert not events[2][0].wait(0.3)
    events[0][1].set()
    assert events[2][0].wait(5)
    for _, leave in events:
        leave.set()
