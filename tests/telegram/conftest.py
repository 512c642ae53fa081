"""Fixtures of the Telegram test rig, for the tests in this folder."""

from tests.telegram.fixtures import fake_telegram, make_user, telegram_user

__all__ = ["fake_telegram", "make_user", "telegram_user"]
