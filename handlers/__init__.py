"""The use cases of linli, channel-agnostic: handlers see an `Event` and a `Context` and
never import a channel (tests/test_layering.py).

The shared core is this folder's modules (events, context, router, commands, permissions,
help, texts, clock, timers, community); each domain is a package beside it — tickets/,
polls/, tasks/ (volunteers), points/ (ledger, time bank, rewards), people/ (households,
linking) — declaring its commands and timers in its commands.py. See ARCHITECTURE.md."""
