"""Departments with their aliases, and the jurisdiction's administrative regions."""
