"""Query results kept on disk, so the first visitor after a server restart does not pay for
the cold computation when the data has not changed.

A result is stored under a hash of its cache key (query, arguments, database, data version,
access scope: ui.state.cache_key) and of a stamp of the data and the code: the data version
with the time it last moved (so a database recreated or restored at the same address, whose
counter starts again, never matches an old file) and the data layer's source files, the
Python and the pandas versions (so an upgraded app never reads a result an older one
computed). Only the current stamp's files are kept: writing the first result of a new data
version removes the older ones.

Where: `IMPACT_CACHE_DIR` if set ("off" turns the disk cache off); for a SQLite database the
`cache` folder next to its file (./.impact/cache for the default database); otherwise (e.g.
PostgreSQL) a folder of this user's temporary directory, one per database, readable by this
user only.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sys
import tempfile
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from impact_data import Database
from impact_data.store.models import DataVersion

log = logging.getLogger(__name__)

SUFFIX = ".pkl"
_code_stamp: str | None = None
_lock = threading.Lock()


def folder(db: Database) -> Path | None:
    """The folder `db`'s results are kept in (None when the disk cache is off)."""
    configured = os.environ.get("IMPACT_CACHE_DIR", "").strip()
    if configured.lower() == "off":
        return None
    url = make_url(db.url)
    name = hashlib.sha256(db.url.encode()).hexdigest()[:16]
    if configured:
        return Path(configured) / name
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "cache"
    if url.get_backend_name() == "sqlite":
        return None  # an in-memory database does not outlive the process
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"impact-cache-{uid}" / name


def code_stamp() -> str:
    """A hash of the data layer's source files (names, sizes, modification times) and of the
    Python and pandas versions: results computed by other code are never read."""
    global _code_stamp
    if _code_stamp is None:
        import pandas

        import impact_data

        digest = hashlib.sha256(f"{sys.version}|{pandas.__version__}".encode())
        root = Path(impact_data.__file__).resolve().parent
        for path in sorted(root.rglob("*.py")):
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        _code_stamp = digest.hexdigest()[:16]
    return _code_stamp


def data_stamp(db: Database, version: int) -> str | None:
    """A stamp of the data at `version` (the version, when it last moved, the code stamp);
    None when the data has moved on since `version` was read: nothing is read or kept then."""
    with db.engine.connect() as conn:
        current, updated = conn.execute(
            select(DataVersion.version, DataVersion.updated_at).where(DataVersion.id == 1)
        ).one()
    if current != version:
        return None
    raw = f"{current}|{updated.isoformat() if updated else ''}|{code_stamp()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _path(where: Path, stamp: str, key: tuple) -> Path:
    return where / f"{stamp}-{hashlib.sha256(repr(key).encode()).hexdigest()}{SUFFIX}"


def _ours(where: Path) -> bool:
    """True when `where` and its parent belong to this user: results are unpickled from there,
    so a folder someone else made (in a shared temporary directory) is never read or used."""
    if not hasattr(os, "getuid"):
        return True
    for part in (where, where.parent):
        if part.stat().st_uid != os.getuid():
            log.warning("not using the disk cache %s: it belongs to another user", where)
            return False
    return True


def _private_folder(where: Path) -> bool:
    """Create `where` (readable by this user only); False when it belongs to someone else."""
    where.parent.parent.mkdir(parents=True, exist_ok=True)
    for part in (where.parent, where):
        part.mkdir(exist_ok=True, mode=0o700)  # (parents=True would not apply the mode)
    if not _ours(where):
        return False
    where.chmod(0o700)
    return True


def load(db: Database, stamp: str | None, key: tuple) -> tuple[bool, object]:
    """(True, result) when a result for `key` and the data `stamp` is on disk."""
    where = folder(db)
    if stamp is None or where is None or not where.is_dir() or not _ours(where):
        return False, None
    path = _path(where, stamp, key)
    try:
        with path.open("rb") as file:
            return True, pickle.load(file)
    except FileNotFoundError:
        return False, None
    except Exception:  # noqa: BLE001 - a damaged file: compute the result again
        log.warning("ignoring the unreadable cached result %s", path.name)
        return False, None


def save(db: Database, stamp: str | None, key: tuple, result: object) -> None:
    """Keep `result` for `key` and the data `stamp` (read before the result was computed, so
    a write during the computation leaves it under the older stamp, never read again); remove
    other stamps' results."""
    where = folder(db)
    if stamp is None or where is None:
        return
    try:
        if not _private_folder(where):
            return
        path = _path(where, stamp, key)
        partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
        with partial.open("wb") as file:
            pickle.dump(result, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)  # whole files only: a reader never sees half of one
        with _lock:
            for old in where.glob(f"*{SUFFIX}"):
                if not old.name.startswith(f"{stamp}-"):
                    old.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - the disk cache is an optimisation, never an error
        log.warning("could not keep a query result on disk in %s", where, exc_info=True)


def clear(db: Database) -> None:
    """Forget every result kept on disk for `db`."""
    where = folder(db)
    if where is None or not where.is_dir():
        return
    for path in where.glob(f"*{SUFFIX}"):
        path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        where.rmdir()  # empty now, unless a result is being written


def files(db: Database) -> list[Path]:
    """The results kept on disk for `db` (for tests and the benchmark)."""
    where = folder(db)
    return sorted(where.glob(f"*{SUFFIX}")) if where is not None and where.is_dir() else []
