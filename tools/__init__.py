"""Developer tools (never deployed): the local stack, template helpers."""
