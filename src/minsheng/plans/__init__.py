"""Policy documents, their tasks and numeric targets, measurements and assessment."""
