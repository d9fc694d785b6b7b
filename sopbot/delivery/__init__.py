"""Talking to the Bot API: the outbox sender, flood limits, group commits, Telegram's errors and
keeping the token out of logs. Used by the handlers and wired by the composition root
(`sopbot.bot`), it imports neither."""
