"""`sopbot demo`: a whole SOP played by simulated officials against the local Telegram emulator."""
