"""``python3 -m gpufleet.testbed``: see the package docstring."""
import sys

from gpufleet.testbed import main

sys.exit(main())
