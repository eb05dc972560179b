"""Per-message prices and users' credit (agora.credits)."""
