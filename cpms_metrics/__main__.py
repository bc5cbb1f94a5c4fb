"""Entry point of `python -m cpms_metrics`."""

import sys

from .cli import main

sys.exit(main())
