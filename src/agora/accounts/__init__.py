"""Users, login sessions, workspaces and memberships."""
