"""Plans and their entitlements, subscriptions, and the check every chat reply passes."""
