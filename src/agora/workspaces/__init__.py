"""Team workspaces: invites, roles, seats, the workspace a user works in, team settings."""
