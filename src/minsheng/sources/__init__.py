"""Monitored public sources: their settings, health and fetching."""
