"""The project's promises about itself: README commands, CI, pinned requirements."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _readme_commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    return [line.strip() for line in lines[:2]]


def test_readme_starts_with_the_two_commands():
    install_run, install_test = _readme_commands()
    assert install_run == "pip install -r requirements.txt && streamlit run app.py"
    assert install_test.startswith("pip install -r requirements-dev.txt && ")
    assert "pytest" in install_test


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert _readme_commands()[1] in ci.splitlines()


def test_requirements_are_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.strip()
            if not line or line.startswith(("#", "-r")):
                continue
            assert re.match(r"^[A-Za-z0-9_.\-\[\]]+==[0-9][^ ]*$", line), (
                f"{name}: {line!r} is not pinned"
            )
