"""SCIM 2.0 provisioning: a workspace's identity provider creates, updates and deactivates its people and groups."""
