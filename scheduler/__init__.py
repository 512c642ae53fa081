"""Scheduled jobs: daily reminders and monthly summaries."""
