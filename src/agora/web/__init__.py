"""Pages: routes that render templates, the templates themselves and static files."""
