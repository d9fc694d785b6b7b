"""`python -m sopbot`: the same as the `sopbot` console script."""

from sopbot.cli import main

raise SystemExit(main())
