"""``python -m horde.worker``: the same as ``horde worker``."""

from __future__ import annotations

import sys

from horde.worker.cli import main

if __name__ == "__main__":
    sys.exit(main())
