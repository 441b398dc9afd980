"""``python -m promptforge``: the command line (see ``promptforge.cli``)."""

from .cli import main

raise SystemExit(main())
