"""Write files off the main thread, with a bound on the work in flight.

:class:`BoundedWriter` runs write jobs on a few threads while the main
thread goes on with the next image; at most ``max_pending`` jobs are queued
or running at any time (``submit`` waits for a free slot), so memory stays
flat however many images an export has. With ``threads=0`` every job runs
at once in the caller's thread: the serial path.

The first failed job stops the writer: later ``submit`` calls and the end
of the ``with`` block raise its error (queued jobs are dropped, running ones
finish; every file is written atomically, so nothing is left half-written).
When the caller's block fails, the jobs it handed over are still written
before its error goes on.
"""
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Optional, Set


class BoundedWriter:
    """A thread pool for write jobs with at most ``max_pending`` in flight.

    Args:
        threads: writer threads; 0 runs every job synchronously in
            :meth:`submit`.
        max_pending: jobs queued or running at most (default:
            ``2 * threads``); ``submit`` blocks while that many are.
    """

    def __init__(self, threads: int, max_pending: Optional[int] = None):
        if threads < 0:
            raise ValueError(f'threads must be >= 0, got {threads}')
        max_pending = 2 * threads if max_pending is None else max_pending
        if threads and max_pending < 1:
            raise ValueError(f'max_pending must be >= 1, got {max_pending}')
        self.threads, self.max_pending = threads, max_pending
        self.pending = 0
        self.peak_pending = 0  # the most jobs ever in flight (tests)
        self._error: Optional[BaseException] = None
        self._queued: Set[Future] = set()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, max_pending))
        self._pool = ThreadPoolExecutor(
            threads, thread_name_prefix='export-writer') if threads else None

    def submit(self, fn: Callable, *args, **kwargs) -> None:
        """Run ``fn(*args, **kwargs)`` (now, or on a writer thread once a
        slot is free); raise the error of an earlier failed job."""
        self._raise_failed()
        if self._pool is None:
            fn(*args, **kwargs)
            return
        self._slots.acquire()
        with self._lock:
            self.pending += 1
            self.peak_pending = max(self.peak_pending, self.pending)
        if self._error is not None:  # failed while we waited for the slot
            self._done(None)
            self._raise_failed()
        future = self._pool.submit(fn, *args, **kwargs)
        with self._lock:
            self._queued.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Optional[Future]) -> None:
        drop = []
        with self._lock:
            self.pending -= 1
            self._queued.discard(future)
            if (future is not None and not future.cancelled()
                    and future.exception() is not None
                    and self._error is None):
                self._error = future.exception()
                drop = list(self._queued)
        self._slots.release()
        for queued in drop:  # their callbacks come back here
            queued.cancel()

    def _raise_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self, *, drop_queued: bool = False) -> None:
        """Wait for the jobs (``drop_queued``: only for the running ones),
        then raise the error of a failed job."""
        if self._pool is not None:
            drop = drop_queued or self._error is not None
            self._pool.shutdown(wait=True, cancel_futures=drop)
        self._raise_failed()

    def __enter__(self) -> 'BoundedWriter':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:  # the caller failed: finish what it handed over, its error wins
            try:
                self.close()
            except Exception:
                pass
