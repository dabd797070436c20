"""Database engine, sessions, base model, column types and migrations."""
