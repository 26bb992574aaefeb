"""Registered on import; see docs/DESIGN.md for the contracts."""
