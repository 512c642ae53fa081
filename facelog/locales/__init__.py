"""Message catalogues: one module per language, the same keys in each (a test checks)."""
