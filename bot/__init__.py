"""The Telegram layer: handlers, keyboards and rendering; no diary rules live here."""
