"""The process runtime: CLI, settings, assembly, the aiohttp server, channel adapters,
the worker loop, outbox delivery and the scheduler."""
