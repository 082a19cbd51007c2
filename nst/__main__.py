"""`python -m nst`: the command line."""

from .cli import main

raise SystemExit(main())
