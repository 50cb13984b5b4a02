"""Data that ships with Ecotone: the demo atlas built from the seed articles, with sources."""

__all__: list[str] = []
