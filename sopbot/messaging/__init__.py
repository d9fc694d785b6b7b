"""What the bot says: the message catalog, formatting, keyboards, and the notices that state
changes cause (written to the outbox in the transaction of the change)."""
