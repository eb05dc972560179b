"""A workspace's own store: its shared GPTs in its own categories, with its featured picks (issue 22 item 6)."""
