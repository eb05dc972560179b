"""MCP apps: MCP servers whose tools a GPT uses (remote ones added in the editor or by admins, stdio ones from the operator's file)."""
