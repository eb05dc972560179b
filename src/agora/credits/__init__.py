"""Per-message prices and users' credit: a GPT's price, credit bought through a gateway, and each priced reply charged once."""
