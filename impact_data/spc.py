"""`impact_data.spc`, the published import path of the SPC engine (it lives in `stats/spc.py`)."""

from impact_data.stats.spc import *  # noqa: F403
from impact_data.stats.spc import __all__  # noqa: F401
