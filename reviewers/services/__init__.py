"""Jury services: state changes with explicit arguments; they flush, never commit."""
