"""Filled by a later issue (see docs/architecture.md); the app exists so the layout is complete."""
