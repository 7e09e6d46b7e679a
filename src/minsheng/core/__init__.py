"""Settings, database, errors, time and i18n shared by every domain."""
