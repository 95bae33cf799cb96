"""Property-based tests (hypothesis) for the engine, the logic and the fingerprint."""
