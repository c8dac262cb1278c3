"""Channel adapters: each turns its platform's wire format into `Event`s and delivers
`Outgoing` messages back. Only this package knows a platform exists."""
