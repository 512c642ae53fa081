"""Facelog: a private emotion diary on Telegram.

This package holds what is neither Telegram nor a model nor a database: configuration, the
command line, and (as issues land) the diary's own rules.
"""
