"""``python -m bench [--scale small|county|province] …``: see bench/run.py and docs/benchmarks.md."""

import sys

from bench.run import main

sys.exit(main())
