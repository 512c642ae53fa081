"""Storage: one PyMongo-async repository (embedded nx-27017 by default, MongoDB in production)."""
