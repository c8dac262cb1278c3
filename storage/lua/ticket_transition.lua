-- Move a ticket from one of the allowed states, once per operation key, keeping the
-- open-ticket indexes in step (tasks call it without ARGV[5..] and get no indexes).
-- KEYS[1] ticket hash, KEYS[2] history list, KEYS[3] applied-operations hash
-- ARGV[1] operation key, ARGV[2] allowed current states ("a,b,c" or "*"; for a ticket,
-- its action's entry in storage/tickets.py TRANSITIONS),
-- ARGV[3] fields json ("" value deletes the field; a long value comes in pieces NAME,
-- NAME~1, NAME~2…, and writing NAME drops the pieces it had), ARGV[4] history entry json,
-- optional: ARGV[5] index prefix (same hash tag; the index keys below, as keys.py documents),
-- ARGV[6] open states ("a,b,c"), ARGV[7] seconds the applied operations are remembered
-- (with ARGV[5] an operation is remembered by 12 hex digits of its key's SHA-1),
-- ARGV[8] the triage queue's key and ARGV[9] the states it holds (optional, both): a
-- ticket moves in and out of the queue as it moves in and out of those states
-- Returns {result, status before}: ok | replay (this operation was already applied) |
-- conflict (the ticket is in a state the operation does not apply to) | missing
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', ''}
end
local status = redis.call('HGET', KEYS[1], 'status')
local prefix = ARGV[5]
-- A ticket remembers an operation by 12 hex digits of its key's SHA-1 (a task, by the key)
local op = ARGV[1]
if prefix then
  op = string.sub(redis.sha1hex(ARGV[1]), 1, 12)
  if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then   -- applied before keys were shortened
    return {'replay', redis.call('HGET', KEYS[3], ARGV[1])}
  end
end
if redis.call('HEXISTS', KEYS[3], op) == 1 then
  return {'replay', redis.call('HGET', KEYS[3], op)}
end
if ARGV[2] ~= '*' then
  local allowed = false
  for state in string.gmatch(ARGV[2], '[^,]+') do
    if state == status then allowed = true end
  end
  if not allowed then
    return {'conflict', status}
  end
end

local INDEXED = {'id', 'status', 'building', 'category', 'assignee', 'department', 'created_at'}
local function index_keys(values)
  local t = {}
  for i, name in ipairs(INDEXED) do
    if values[i] and values[i] ~= '' then t[name] = values[i] end
  end
  local open = false
  for state in string.gmatch(ARGV[6], '[^,]+') do
    if state == t.status then open = true end
  end
  local keys = {}
  if open then
    keys[prefix] = true
    keys[prefix .. ':b:' .. (t.building or '-')] = true
    keys[prefix .. ':c:' .. (t.category or '-')] = true
    if t.assignee then keys[prefix .. ':a:' .. t.assignee] = true end
    if t.department then keys[prefix .. ':d:' .. t.department] = true end
  end
  if ARGV[8] then
    for state in string.gmatch(ARGV[9], '[^,]+') do
      if state == t.status then keys[ARGV[8]] = true end
    end
  end
  return keys, t
end
local before
if prefix then
  before = index_keys(redis.call('HMGET', KEYS[1], unpack(INDEXED)))
end

local fields = cjson.decode(ARGV[3])
for name, _ in pairs(fields) do
  if not string.find(name, '~', 1, true) then
    local piece = 1
    while redis.call('HDEL', KEYS[1], name .. '~' .. piece) == 1 do
      piece = piece + 1
    end
  end
end
for name, value in pairs(fields) do
  if value == '' then
    redis.call('HDEL', KEYS[1], name)
  else
    redis.call('HSET', KEYS[1], name, tostring(value))
  end
end
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[3], op, status)
if ARGV[7] then
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[7]))
end

if prefix then
  local after, t = index_keys(redis.call('HMGET', KEYS[1], unpack(INDEXED)))
  local buildings = prefix .. ':buildings'
  for key, _ in pairs(before) do
    if not after[key] then
      redis.call('ZREM', key, t.id)
      if string.sub(key, 1, #prefix + 3) == prefix .. ':b:' and redis.call('ZCARD', key) == 0 then
        redis.call('SREM', buildings, string.sub(key, #prefix + 4))
      end
    end
  end
  -- Every key it belongs in, not only new ones: a ticket stored before the indexes
  -- existed is indexed by its first change.
  for key, _ in pairs(after) do
    redis.call('ZADD', key, t.created_at, t.id)
  end
  if after[prefix] then
    redis.call('SADD', buildings, t.building or '-')
  end
end
return {'ok', status}
