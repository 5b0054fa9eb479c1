"""Deterministic sample data for Cadence: the landing tree plus the truth behind it."""
