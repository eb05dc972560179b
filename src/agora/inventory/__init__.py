"""GPT inventory for team admins: every GPT of the workspace, filters, CSV, bulk actions, and who inherits a leaver's GPTs (issue 22 item 4)."""
