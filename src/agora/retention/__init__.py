"""Conversation retention per team workspace: how long conversations are kept, and the legal hold that suspends deletion (issue 22 item 5)."""
