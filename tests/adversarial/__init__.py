"""Hostile input: result folders, ids, lock files, secrets, long and strange input."""
