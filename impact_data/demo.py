"""The sample integrated care system shipped in `sample_data/demo/`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from impact_data.ingest import UploadResult
from impact_data.ingest.load import UploadRefused
from impact_data.ingest.uploads import load_file
from impact_data.store.db import Database

__all__ = [
    "SAMPLE_DIR",
    "demo_manifest",
    "load_demo",
]

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data" / "demo"


def demo_manifest(sample_dir: Path = SAMPLE_DIR) -> list[dict]:
    """The demo files and their kinds, in load order."""
    return json.loads((sample_dir / "manifest.json").read_text())


def load_demo(
    db: Database,
    *,
    sample_dir: Path = SAMPLE_DIR,
    progress: Callable[[float, str], None] | None = None,
) -> list[UploadResult]:
    """Load every sample file; files already loaded (same content) are skipped."""
    manifest = demo_manifest(sample_dir)
    results: list[UploadResult] = []
    for i, entry in enumerate(manifest):
        if progress:
            progress(i / len(manifest), f"Loading {entry['file']}")
        prepared, result = load_file(
            db, sample_dir / entry["file"], entry["kind"], uploaded_by="sample data"
        )
        if result is None:
            if prepared.duplicate_of is not None:
                continue
            raise UploadRefused(
                f"sample file {entry['file']} did not load: "
                + "; ".join(str(p) for p in prepared.problems[:5]),
                prepared.problems,
            )
        results.append(result)
    if progress:
        progress(1.0, "Sample data loaded")
    return results
