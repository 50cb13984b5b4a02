"""Use cases called alike by the CLI and the API: import, export, demo, generate, browse."""

__all__: list[str] = []
