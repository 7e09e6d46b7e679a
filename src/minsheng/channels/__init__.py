"""Notification channels (e-mail, webhooks, office chat robots) and the log of every delivery."""
