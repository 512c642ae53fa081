"""A fake Telegram Bot API server, a user driver and fixtures for end-to-end bot tests."""
