"""Share an ordered list of work between processes, keeping neighbours together.

Pages next to each other in the render order show the same papers (tasks.render_order),
and a render process makes each paper's card once (pages/fragments.py) — but only if that
paper's pages come to the same process. Handing out chunks in turn sent a paper's day
page to one process and its week page to the other, so both made its card. Here each
worker owns one contiguous run of the list and works through it from the front; a
worker whose run is done takes chunks from the back of the longest other run, so the
work stays balanced and the runs still meet only at their ends. A worker can also join
late with no run of its own (`joining`), taking only from the others' backs.
"""

from __future__ import annotations

from contextlib import nullcontext

from sitegen.engine import processes


class Segments:
    def __init__(self, total: int, workers: int, chunk: int, *, shared: bool = True, joining: int = 0):
        """`workers` share `total` at the start; `joining` more (numbered after them)
        start with nothing. `shared`: in memory of the start method's context, which the
        processes it starts share (for the build process alone: a list)."""
        bounds = []
        for k in range(workers):
            bounds += [total * k // workers, total * (k + 1) // workers]
        bounds += [total, total] * joining
        self.workers, self.chunk = workers + joining, chunk
        # start and end of each worker's remaining run, in memory the workers share
        self._bounds = processes.context().Array("q", bounds) if shared else bounds
        self._lock = self._bounds.get_lock() if shared else nullcontext()

    def take(self, worker: int) -> tuple[int, int] | None:
        """The next (start, stop) slice for `worker`, or None when all work is handed out."""
        b, chunk = self._bounds, self.chunk
        with self._lock:
            start, end = b[2 * worker], b[2 * worker + 1]
            if start < end:
                b[2 * worker] = stop = min(start + chunk, end)
                return start, stop
            other = max(range(self.workers), key=lambda k: b[2 * k + 1] - b[2 * k])
            start, end = b[2 * other], b[2 * other + 1]
            if start >= end:
                return None
            b[2 * other + 1] = begin = max(start, end - chunk)
            return begin, end

    def left(self) -> int:
        """How much is not handed out yet."""
        b = self._bounds
        with self._lock:
            return sum(b[2 * k + 1] - b[2 * k] for k in range(self.workers))

    def close(self) -> None:
        """Let go of the shared memory and its lock, once no other process takes from
        it. A pool keeps what its processes were given until the collector frees the
        pool, and a spawned pool's lock is a named semaphore: one still held when the
        build process leaves without cleaning up (commands/cli.py) is reported by
        multiprocessing as leaked."""
        self._bounds = self._bounds[:]
        self._lock = nullcontext()

    def cancel(self) -> None:
        """Hand out nothing more (a worker failed: the others stop after their chunk)."""
        with self._lock:
            for k in range(self.workers):
                self._bounds[2 * k] = self._bounds[2 * k + 1]
