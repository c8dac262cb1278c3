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
-- ticket moves in and out of the queue as it moves in and out of those states,
-- ARGV[10] the statistics' prefix and ARGV[11] their periods set (optional, both): the
-- counters of what the ticket counted for before the change lose it, those of what it
-- counts for after gain it (storage/stats.py, whose `contribution` and `cells` this mirrors)
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

-- The statistics (storage/stats.py): what a ticket counts for is a function of these fields.
local sprefix = ARGV[10]
local STATS = {'status', 'day', 'urgent', 'building', 'category', 'department', 'assignee', 'respond_due',
               'responded_at', 'resolve_due', 'resolved_at', 'rating', 'reopens'}
local NOT_COUNTED = {unconfirmed = true, dismissed = true, lapsed = true}
local function stats_fields()
  local raw = redis.call('HMGET', KEYS[1], unpack(STATS))
  local v = {}
  for i, name in ipairs(STATS) do
    if raw[i] and raw[i] ~= '' then v[name] = raw[i] end
  end
  return v
end
local function contribution(v)
  local c = {}
  local s = v.status
  if not s or not v.day or NOT_COUNTED[s] then return c end
  if s == 'duplicate' then
    c.dup = 1
    return c
  end
  c.n = 1
  if v.urgent == '1' then c.u = 1 end
  if s == 'rejected' then c.rej = 1 end
  if v.responded_at then
    c.rsp = 1
    if not v.respond_due or tonumber(v.responded_at) <= tonumber(v.respond_due) then c.rsp_ok = 1 end
  end
  if (s == 'resolved' or s == 'closed') and v.resolved_at then
    c.res = 1
    if not v.resolve_due or tonumber(v.resolved_at) <= tonumber(v.resolve_due) then c.res_ok = 1 end
  end
  local rating = tonumber(v.rating or '')
  if rating == 1 or rating == 2 or rating == 3 or rating == 4 or rating == 5 then
    c.rated = 1
    c.rsum = rating
    c['r' .. rating] = 1
    if rating >= 4 then c.sat = 1 end
  end
  local reopens = tonumber(v.reopens or '0') or 0
  if reopens > 0 then c.reo = 1 end
  if s == 'resolved' or s == 'closed' or s == 'rejected' or reopens > 0 then c.fin = 1 end
  return c
end
-- add (sign 1) or take away (-1) what a ticket counts for, in `acc` {key = {field = n}};
-- returns the periods it counts in
local function count_in(acc, v, sign)
  local c = contribution(v)
  if next(c) == nil then return {} end
  local day = v.day
  local month = string.sub(day, 1, 7)
  local b = v.building or '-'
  local cat = v.category or '-'
  local cells = {{day, 'all', '*'}, {month, 'all', '*'}, {day, 'b', b}, {month, 'b', b},
                 {day, 'c', cat}, {month, 'c', cat}}
  if v.department then
    cells[#cells + 1] = {day, 'd', v.department}
    cells[#cells + 1] = {month, 'd', v.department}
  end
  if v.assignee then
    cells[#cells + 1] = {day, 'a', v.assignee}
    cells[#cells + 1] = {month, 'a', v.assignee}
  end
  cells[#cells + 1] = {month, 'cb', cat .. '|' .. b}
  for _, cell in ipairs(cells) do
    local key = sprefix .. ':' .. cell[1] .. ':' .. cell[2]
    local fields = acc[key]
    if not fields then
      fields = {}
      acc[key] = fields
    end
    for metric, n in pairs(c) do
      local field = cell[3] .. '|' .. metric
      fields[field] = (fields[field] or 0) + sign * n
    end
  end
  return {day, month}
end
local counted = {}
if sprefix then
  count_in(counted, stats_fields(), -1)
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

if sprefix then
  local periods = count_in(counted, stats_fields(), 1)
  for key, fields in pairs(counted) do
    for field, n in pairs(fields) do
      if n ~= 0 and redis.call('HINCRBY', key, field, n) == 0 then
        redis.call('HDEL', key, field)
      end
    end
  end
  if #periods > 0 then
    redis.call('SADD', ARGV[11], unpack(periods))
  end
end
return {'ok', status}
