"""Training code for Facelog's own models (kept out of the runtime import path: it needs data)."""
