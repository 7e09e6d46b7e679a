"""Users, roles, sessions, API tokens and department scoping."""
