"""Stop a batch gently: start nothing new, let the work in flight finish and be saved."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

Item = TypeVar("Item")


class Drain(Generic[Item]):
    """The inputs of a batch, handed out until ``stop()`` is called.

    ``Pipeline.stream`` and ``run_many`` draw an input only when a slot frees up, so
    after ``stop()`` no new input starts while those already running finish (and, with
    ``out_dir``, are saved): an image that was paid for is kept. Closing the stream
    instead cancels the work in flight. ``stop()`` may be called from a signal handler
    or any thread (it only sets a flag).

    Example::

        drain = Drain(prompts)
        async for result in pipe.stream(drain, out_dir="out"):
            if over_budget():
                drain.stop()  # the loop still receives the results in flight
    """

    def __init__(self, items: Iterable[Item]) -> None:
        self._items = items
        self.stopped = False
        """Whether ``stop()`` has been called."""
        self.taken = 0
        """How many inputs have been handed out."""

    def stop(self) -> None:
        """Hand out no more inputs."""
        self.stopped = True

    def __iter__(self) -> Iterator[Item]:
        iterator = iter(self._items)
        while not self.stopped:
            try:
                item = next(iterator)
            except StopIteration:
                return
            self.taken += 1
            yield item
