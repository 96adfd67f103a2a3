"""`make bench`: AWS requests, cost and latency per Opensock operation (see docs/performance.md)."""
