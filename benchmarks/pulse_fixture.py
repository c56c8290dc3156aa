"""Generate a large pulse-survey workbook for the ingest benchmark (not committed)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
from openpyxl import Workbook

QUESTIONS = [f"q{i}" for i in range(1, 31)]
ORG_CODES = ["ZA1", "ZB1", "ZC1", "ZD1", "ZE1", "ZF1", "ZG1", "ZH1", "ZJ1", "ZK1"]
TEAMS = ["Ward 1", "Ward 2", "Theatres", "Outpatients", "Pharmacy", "Estates"]
GROUPS = ["Nursing", "Medical", "AHP", "Admin & clerical", "Support"]


def pulse_rows(n_respondents: int, seed: int = 7):
    """Yield (header, rows) for a pulse survey of n respondents x 30 questions."""
    rng = np.random.default_rng(seed)
    answers = rng.integers(1, 6, size=(n_respondents, len(QUESTIONS)))
    blanks = rng.random(size=answers.shape) < 0.03
    orgs = rng.integers(0, len(ORG_CODES), n_respondents)
    teams = rng.integers(0, len(TEAMS), n_respondents)
    groups = rng.integers(0, len(GROUPS), n_respondents)
    days = rng.integers(0, 365, n_respondents)
    start = dt.date(2025, 1, 1)
    header = ["org_code", "response_date", "team", "staff_group", "respondent_id", *QUESTIONS]

    def rows():
        for i in range(n_respondents):
            vals = [None if blanks[i, j] else int(answers[i, j]) for j in range(len(QUESTIONS))]
            yield [
                ORG_CODES[orgs[i]],
                start + dt.timedelta(days=int(days[i])),
                TEAMS[teams[i]],
                GROUPS[groups[i]],
                f"R{i:07d}",
                *vals,
            ]

    return header, rows()


def write_xlsx(path: Path, n_respondents: int) -> Path:
    header, rows = pulse_rows(n_respondents)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Pulse")
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, n_respondents: int) -> Path:
    header, rows = pulse_rows(n_respondents)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            row[1] = row[1].isoformat()
            w.writerow(["" if v is None else v for v in row])
    return path


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/out")
    out.mkdir(parents=True, exist_ok=True)
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    print(write_xlsx(out / f"pulse_{n}.xlsx", n))
    print(write_csv(out / f"pulse_{n}.csv", n))
