"""`python -m pytest_batchkeys.cli`: the `batchkeys` command."""

import sys

from pytest_batchkeys.cli.main import main

sys.exit(main())
