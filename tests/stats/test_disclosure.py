"""The one disclosure rule: primary, complementary until the hidden part is safe, chosen groups."""

from __future__ import annotations

import itertools

import pandas as pd

from impact_data.stats.disclosure import (
    PRIMARY,
    SECONDARY,
    hidden_mask,
    publishable_groups,
    suppress,
)

T = 11


def _teams(sizes: dict[str, int], org: str = "A") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_code": org,
            "team": list(sizes),
            "n": list(sizes.values()),
            "positive": [round(v * 0.6) for v in sizes.values()],
        }
    )


def _recoverable(table: pd.DataFrame, total: int) -> int | None:
    """What the published total minus the shown teams gives away (None if nothing)."""
    shown = table.loc[~table["suppressed"], "n"].astype(int).sum()
    hidden = total - shown
    return hidden if 0 < hidden < T else None


def test_one_small_team_hides_the_next_smallest_too():
    out = suppress(
        _teams({"W1": 30, "W2": 14, "W3": 4}), "n", ["positive"], T, sibling_keys=["org_code"]
    )
    assert out.set_index("team")["suppression"].to_dict() == {
        "W1": "",
        "W2": SECONDARY,
        "W3": PRIMARY,
    }
    assert pd.isna(out.set_index("team").loc["W3", "n"])
    assert pd.isna(out.set_index("team").loc["W2", "positive"])
    assert _recoverable(out, 48) is None


def test_two_small_teams_are_not_recoverable_together():
    # 4 + 5 = 9 people: hiding only the two small teams would give away 9 people's answers.
    sizes = {"W1": 40, "W2": 25, "W3": 4, "W4": 5}
    out = suppress(_teams(sizes), "n", ["positive"], T, sibling_keys=["org_code"])
    reasons = out.set_index("team")["suppression"].to_dict()
    assert reasons == {"W1": "", "W2": SECONDARY, "W3": PRIMARY, "W4": PRIMARY}
    assert _recoverable(out, sum(sizes.values())) is None


def test_two_small_teams_already_safe_together_need_no_secondary():
    sizes = {"W1": 40, "W2": 25, "W3": 6, "W4": 7}  # 13 hidden >= 11
    out = suppress(_teams(sizes), "n", ["positive"], T, sibling_keys=["org_code"])
    assert out["suppression"].tolist() == ["", "", PRIMARY, PRIMARY]


def test_threshold_minus_one_and_threshold():
    out = suppress(
        _teams({"W1": 10, "W2": 11, "W3": 50}), "n", ["positive"], T, sibling_keys=["org_code"]
    )
    assert out["suppression"].tolist() == [PRIMARY, SECONDARY, ""]
    alone = suppress(_teams({"W1": 11, "W2": 50}), "n", ["positive"], T, sibling_keys=["org_code"])
    assert alone["suppression"].tolist() == ["", ""]


def test_people_without_a_team_count_toward_the_unpublished_part():
    # The organisation total (60) includes 3 people with no team: with every team shown,
    # the total minus the teams would give those 3 people's answers away.
    frame = _teams({"W1": 30, "W2": 27})
    frame["total"] = 60
    out = suppress(frame, "n", ["positive"], T, sibling_keys=["org_code"], total_column="total")
    assert out["suppression"].tolist() == ["", SECONDARY]
    assert _recoverable(out, 60) is None
    assert "total" not in out.columns


def test_groups_are_independent():
    frame = pd.concat([_teams({"W1": 30, "W2": 3}, "A"), _teams({"X1": 30, "X2": 30}, "B")])
    frame = frame.reset_index(drop=True)
    out = suppress(frame, "n", ["positive"], T, sibling_keys=["org_code"])
    assert out["suppression"].tolist() == [SECONDARY, PRIMARY, "", ""]


def test_no_siblings_means_primary_only():
    out = suppress(_teams({"W1": 30, "W2": 3}), "n", ["positive"], T)
    assert out["suppression"].tolist() == ["", PRIMARY]
    assert out["suppressed"].tolist() == [False, True]


def test_every_pair_of_team_sets_reveals_nothing():
    """Brute force: any subset-sum of shown teams differenced with the total never isolates
    fewer than T hidden people."""
    for sizes in (
        {"a": 4, "b": 5, "c": 12, "d": 30},
        {"a": 10, "b": 11, "c": 11},
        {"a": 1, "b": 40},
    ):
        out = suppress(_teams(sizes), "n", ["positive"], T, sibling_keys=["org_code"])
        shown = out.loc[~out["suppressed"], "n"].astype(int).tolist()
        total = sum(sizes.values())
        hidden_people = total - sum(shown)
        assert hidden_people == 0 or hidden_people >= T or hidden_people == total
        for r in range(len(shown) + 1):
            for combo in itertools.combinations(shown, r):
                rest = total - sum(combo)
                assert rest == 0 or rest >= T


def test_hidden_mask_with_explicit_groups():
    counts = pd.Series([20, 5, 20, 20])
    groups = pd.Series([1.0, 1.0, 2.0, 2.0])
    assert hidden_mask(counts, T, groups).tolist() == [SECONDARY, PRIMARY, "", ""]


def test_publishable_groups_leave_out_hidden_ones():
    table = suppress(
        _teams({"W1": 30, "W2": 14, "W3": 4}), "n", ["positive"], T, sibling_keys=["org_code"]
    )
    pooled, left_out = publishable_groups(table, "team", ["W1", "W3", "W2", "W1"])
    assert pooled == ["W1"]
    assert left_out == ["W3", "W2"]
