"""The WebSocket edge: knows API Gateway, knows nothing about the domain."""
