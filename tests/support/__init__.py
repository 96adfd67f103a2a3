"""Shared test helpers: fakes, token minting, sample events."""
