"""`python -m mrap` runs the `mrap` command."""

import sys

from mrap.cli import main

sys.exit(main())
