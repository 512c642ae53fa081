"""A fake Telegram Bot API server and a scripted user, over real HTTP.

Its own package (not part of ``tests``) because three things drive the real bot through it: the
test suite, the load test (``facelog bench load``) and the scheduler benchmark. It needs only
aiohttp, so it ships in the wheel and the image alongside the bot.
"""
