"""CLI sub-commands, one module per pipeline stage; each defines ``register(app)``."""
