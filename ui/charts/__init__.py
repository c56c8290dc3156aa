"""Altair chart builders: pure functions from a DataFrame to a chart, testable without a browser.

Shared conventions: a colour-blind-safe palette (Okabe-Ito, with NHS blue as the main series),
a tooltip on every mark, a title that says what the chart shows, and meaning never carried by
colour alone (shapes, labels or text alongside).
"""

from __future__ import annotations

NHS_BLUE = "#005EB8"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#005EB8", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

# Making Data Count icon colours, always paired with a letter/shape so colour is not needed.
SPC_COLOURS = {
    "common_cause": "#A6A6A6",
    "special_cause_improvement": "#00B0F0",
    "special_cause_concern": "#E46C0A",
    "special_cause_neutral_high": "#490092",
    "special_cause_neutral_low": "#490092",
}
SPC_SHAPES = {
    "common_cause": "circle",
    "special_cause_improvement": "diamond",
    "special_cause_concern": "square",
    "special_cause_neutral_high": "triangle-up",
    "special_cause_neutral_low": "triangle-down",
}
SPC_LABELS = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neutral_high": "Special cause: high",
    "special_cause_neutral_low": "Special cause: low",
}
