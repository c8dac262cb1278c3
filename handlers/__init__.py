"""The use cases of linli, channel-agnostic: tickets, and later polls, points and tasks.
Handlers see an `Event` and a `Context`; they never import a channel (see tests/test_layering.py)."""
