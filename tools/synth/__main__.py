"""``python -m tools.synth --quotes N --db PATH [--seed S]``: see ``tools.synth``."""

import sys

from tools.synth import main

if __name__ == "__main__":
    sys.exit(main())
