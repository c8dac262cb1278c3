-- Open a ticket once per event, and put it in the open-ticket indexes.
-- KEYS[1] the by-event hash of earlier versions (read only), KEYS[2] ticket id counter,
-- KEYS[3] tickets zset, KEYS[4] reporter's tickets zset
-- ARGV[1] event id, ARGV[2] fields json (string values, no id), ARGV[3] history entry json,
-- ARGV[4] created at, ARGV[5] ticket key prefix, ARGV[6] index prefix, ARGV[7] open states
-- ("a,b,c"), ARGV[8] seconds within which the same event may come again, ARGV[9] the
-- triage queue's key, ARGV[10] the states it holds ("a,b"; optional, both)
-- (the prefixes and the queue carry the community's hash tag, so every key is on this slot).
-- The ticket remembers its event as `ev` (12 hex digits of its SHA-1): a redelivered
-- event finds it among its reporter's tickets of the ARGV[8] seconds before ARGV[4].
-- Index keys: PREFIX (all open), PREFIX:b:BUILDING, PREFIX:c:CATEGORY, PREFIX:a:ASSIGNEE,
-- PREFIX:d:DEPARTMENT, each scored by created_at ('-' stands for no building or
-- category); PREFIX:buildings is the set of buildings with an index. A ticket waiting for
-- staff (待确认) is in none of them but in the queue, scored by created_at too.
-- Returns {ticket id, 1 if created now}.
local ev = string.sub(redis.sha1hex(ARGV[1]), 1, 12)
local legacy = redis.call('HGET', KEYS[1], ARGV[1])
if legacy then
  return {tonumber(legacy), 0}
end
-- (a redelivery is handled later than the first delivery; a day's margin for clocks apart)
local now = tonumber(ARGV[4])
for _, id in ipairs(redis.call('ZREVRANGEBYSCORE', KEYS[4], now + 86400, now - tonumber(ARGV[8]), 'LIMIT', 0, 50)) do
  if redis.call('HGET', ARGV[5] .. id, 'ev') == ev then
    return {tonumber(id), 0}
  end
end

local id = redis.call('INCR', KEYS[2])
local ticket = ARGV[5] .. id
local fields = cjson.decode(ARGV[2])
local flat = {'id', id, 'ev', ev}
for name, value in pairs(fields) do
  flat[#flat + 1] = name
  flat[#flat + 1] = tostring(value)
end
redis.call('HSET', ticket, unpack(flat))
redis.call('RPUSH', ticket .. ':history', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], id)
redis.call('ZADD', KEYS[4], ARGV[4], id)

local open = false
for state in string.gmatch(ARGV[7], '[^,]+') do
  if state == fields.status then open = true end
end
if open then
  local prefix = ARGV[6]
  local building = fields.building or '-'
  local keys = {prefix, prefix .. ':b:' .. building, prefix .. ':c:' .. (fields.category or '-')}
  if fields.assignee then keys[#keys + 1] = prefix .. ':a:' .. fields.assignee end
  if fields.department then keys[#keys + 1] = prefix .. ':d:' .. fields.department end
  for _, key in ipairs(keys) do
    redis.call('ZADD', key, ARGV[4], id)
  end
  redis.call('SADD', prefix .. ':buildings', building)
end
if ARGV[9] then
  for state in string.gmatch(ARGV[10], '[^,]+') do
    if state == fields.status then redis.call('ZADD', ARGV[9], ARGV[4], id) end
  end
end
return {id, 1}
