-- Put tickets in the open-ticket indexes they belong in and out of the ones their fields
-- name but their state does not. Idempotent: for a database written before the indexes
-- existed, and for checking them.
-- KEYS[1..] ticket hashes; ARGV[1] index prefix (same hash tag), ARGV[2] open states,
-- ARGV[3] the triage queue's key and ARGV[4] the states it holds (optional, both)
-- Index keys (storage/keys.py: tickets_open, tickets_open_by, tickets_open_buildings):
-- PREFIX (all open), PREFIX:b:BUILDING, PREFIX:c:CATEGORY, PREFIX:a:ASSIGNEE,
-- PREFIX:d:DEPARTMENT, each scored by created_at ('-' stands for no building or
-- category); PREFIX:buildings is the set of buildings with an index. They are named here
-- from the fields read, so they cannot come in KEYS; they share the prefix's hash tag.
-- Returns how many of them are open.
local prefix = ARGV[1]
local OPEN = {}
for state in string.gmatch(ARGV[2], '[^,]+') do OPEN[state] = true end
local QUEUED = {}
for state in string.gmatch(ARGV[4] or '', '[^,]+') do QUEUED[state] = true end
local INDEXED = {'id', 'status', 'building', 'category', 'assignee', 'department', 'created_at'}
local buildings = prefix .. ':buildings'
local open_count = 0
for _, hash in ipairs(KEYS) do
  local values = redis.call('HMGET', hash, unpack(INDEXED))
  local t = {}
  for i, name in ipairs(INDEXED) do
    if values[i] and values[i] ~= '' then t[name] = values[i] end
  end
  if t.id and t.created_at then
    local building = t.building or '-'
    local keys = {prefix, prefix .. ':b:' .. building, prefix .. ':c:' .. (t.category or '-')}
    if t.assignee then keys[#keys + 1] = prefix .. ':a:' .. t.assignee end
    if t.department then keys[#keys + 1] = prefix .. ':d:' .. t.department end
    if OPEN[t.status] then
      open_count = open_count + 1
      for _, key in ipairs(keys) do
        redis.call('ZADD', key, t.created_at, t.id)
      end
      redis.call('SADD', buildings, building)
    else
      for _, key in ipairs(keys) do
        redis.call('ZREM', key, t.id)
      end
      if redis.call('ZCARD', keys[2]) == 0 then
        redis.call('SREM', buildings, building)
      end
    end
    if ARGV[3] then
      if QUEUED[t.status] then
        redis.call('ZADD', ARGV[3], t.created_at, t.id)
      else
        redis.call('ZREM', ARGV[3], t.id)
      end
    end
  end
end
return open_count
