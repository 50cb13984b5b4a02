"""Readers and writers of the files users already have: Kumu spreadsheets, JSON bundles, CORDIS, CSV tables."""

__all__: list[str] = []
