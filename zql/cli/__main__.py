"""``python -m zql.cli …``: the ``zql`` command without the console script (editors, tests)."""

from zql.cli import main

raise SystemExit(main())
