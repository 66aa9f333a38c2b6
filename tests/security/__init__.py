"""Security tests: each proves a trust boundary holds."""
