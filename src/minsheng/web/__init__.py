"""The web shell: app factory, layout, static assets, error pages."""
