from __future__ import annotations

from horde.webapp.cli import main

raise SystemExit(main())
