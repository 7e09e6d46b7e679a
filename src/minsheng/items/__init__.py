"""Collected items and their full-text search."""
