"""Live user metadata (umd) updates: `hotsock.umdUpdate`, `connection/umdUpdate` (PROTOCOL §12)."""
