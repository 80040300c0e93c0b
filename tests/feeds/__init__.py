"""Police and partner feeds: profiles, readers, imports, pulls, partner events and webhooks."""
