"""Channels: subscriptions, presence, publishing and the rules on names and sizes."""
