"""Channel storage: per-key channel state that clients observe, get and set (PROTOCOL §11)."""
