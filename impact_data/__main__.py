import sys

from impact_data.cli import main

sys.exit(main())
