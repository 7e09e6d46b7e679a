"""Fetching feeds politely (robots.txt, one request at a time per host) and reading them into entries."""
