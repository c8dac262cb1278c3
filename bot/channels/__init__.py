"""Channel adapters: each turns its platform's wire format into `Event`s and delivers
`Outgoing` messages back. Only this package knows a platform exists: a channel is a module
here and a line in `registry.py` (the protocol: `base.py`)."""
