"""`python -m sopbot`: the same as the `sopbot` console script."""

from sopbot.bot.cli import main

raise SystemExit(main())
