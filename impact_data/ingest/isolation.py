"""Running a file reader in a child process with a memory and CPU limit.

A spreadsheet reader is native code: asked to allocate more than there is, it aborts the whole
process, which under `streamlit run` is every user's session. Run in a forked child with
`resource.setrlimit`, the worst a file can do is end that child: the upload fails with a clear
message and the app carries on. A fork (not a fresh interpreter) costs milliseconds, because
the child shares the parent's already-imported modules.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import selectors
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "ChildFailed",
    "Limits",
    "isolation_available",
    "run_isolated",
    "stream_isolated",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """What one parse may use: memory beyond what the app already holds, CPU and wall time."""

    memory_bytes: int = 4 * 1024**3
    cpu_seconds: int = 120
    wall_seconds: float = 300.0


class ChildFailed(Exception):
    """The child ended without a result: killed by a limit, or crashed in native code."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # "memory" | "time" | "crash"


def isolation_available() -> bool:
    """Whether this platform can fork a limited child (Linux, macOS); else parse in-process."""
    return hasattr(os, "fork") and hasattr(resource, "RLIMIT_AS")


def _address_space_in_use() -> int:
    """This process's virtual memory size, which the child inherits before it reads anything."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit_child(limits: Limits) -> None:
    memory = _address_space_in_use() + limits.memory_bytes
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory = min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, hard))
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu = limits.cpu_seconds if hard == resource.RLIM_INFINITY else min(limits.cpu_seconds, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort leaves no core file behind


_FRAME = 8  # bytes of length before each pickled frame


def _send(fd: int, frame: tuple) -> None:
    try:
        payload = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - an unpicklable result still reaches the parent
        payload = pickle.dumps(("error", RuntimeError(str(exc))))
    view = memoryview(len(payload).to_bytes(_FRAME, "little") + payload)
    while view:
        view = view[os.write(fd, view) :]


def _child(fd: int, fn: Callable[..., Iterator[object]], args: tuple, limits: Limits) -> None:
    """In the forked child: apply the limits, run, send each item as it comes, then "end"
    (or the exception, or "memory")."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _limit_child(limits)
        try:
            for item in fn(*args):
                _send(fd, ("item", item))
            _send(fd, ("end", None))
        except MemoryError:
            _send(fd, ("memory", None))
        except Exception as exc:  # noqa: BLE001 - sent to the parent, which re-raises it
            _send(fd, ("error", exc))
    except BaseException:  # noqa: BLE001 - the child must never return into the parent's code
        code = 1
    finally:
        os._exit(code)


def stream_isolated(
    fn: Callable[..., Iterator[T]], *args: object, limits: Limits | None = None
) -> Iterator[T]:
    """The items of the iterator `fn(*args)`, produced in a forked child under `limits` and
    received here as they come (so the parent's work on one overlaps the child's on the next).

    Raises the child's exception, or ChildFailed when a limit or a native crash ended it.
    """
    limits = limits or Limits()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_fd)
        _child(write_fd, fn, args, limits)
    os.close(write_fd)
    deadline = time.monotonic() + limits.wall_seconds
    buffer = bytearray()
    last = None  # the final frame: ("end" | "error" | "memory", value)
    timed_out = False
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(read_fd, selectors.EVENT_READ)
            while last is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                if not selector.select(timeout=min(remaining, 1.0)):
                    continue
                chunk = os.read(read_fd, 1 << 22)
                if not chunk:
                    break
                buffer += chunk
                while len(buffer) >= _FRAME:
                    size = int.from_bytes(buffer[:_FRAME], "little")
                    if len(buffer) < _FRAME + size:
                        break
                    kind, value = pickle.loads(memoryview(buffer)[_FRAME : _FRAME + size])
                    del buffer[: _FRAME + size]
                    if kind != "item":
                        last = (kind, value)
                        break
                    yield value
    finally:
        os.close(read_fd)
        if last is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _pid, status = os.waitpid(pid, 0)
    if timed_out:
        raise ChildFailed(
            f"reading took longer than {limits.wall_seconds:.0f} s and was stopped", reason="time"
        )
    if last is not None and last[0] == "end":
        return
    if last is not None and last[0] == "error":
        raise last[1]
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        raise ChildFailed(
            f"reading needed more than {limits.cpu_seconds} s of processing and was stopped",
            reason="time",
        )
    if (last is not None and last[0] == "memory") or (
        os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGABRT, signal.SIGKILL)
    ):
        raise ChildFailed(
            f"reading needed more than {limits.memory_bytes / 1024**3:.0f} GB of memory "
            "and was stopped",
            reason="memory",
        )
    how = (
        f"signal {signal.Signals(os.WTERMSIG(status)).name}"
        if os.WIFSIGNALED(status)
        else f"exit code {os.WEXITSTATUS(status)}"
    )
    raise ChildFailed(f"the reader stopped unexpectedly ({how})", reason="crash")


def run_isolated(fn: Callable[..., T], *args: object, limits: Limits | None = None) -> T:
    """`fn(*args)` in a forked child under `limits`: its result, or its exception re-raised.

    Raises ChildFailed when the child is killed by a limit or dies in native code.
    """
    return next(iter(list(stream_isolated(_single, fn, *args, limits=limits))))


def _single(fn: Callable[..., T], *args: object) -> Iterator[T]:
    yield fn(*args)
