"""Redis: the connection (and the embedded server), the key layout, one repository per
aggregate, and the Lua scripts that make multi-key writes atomic. Imports nothing of ours."""
