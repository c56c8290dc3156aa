"""`python -m impact_data`: the command line of `impact_data.cli`."""

import sys

from impact_data.cli import main

__all__: list[str] = []

sys.exit(main())
