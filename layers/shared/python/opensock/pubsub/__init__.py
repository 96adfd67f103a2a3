"""Pub/sub events to SNS and EventBridge (SERVER-API §5)."""
