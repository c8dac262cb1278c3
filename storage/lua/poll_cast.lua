-- Cast (or change) one ballot. The whole check-and-write is this one script, so two
-- devices voting at once never make two ballots for one voter or one household.
-- KEYS[1] poll hash, KEYS[2] voters hash (person -> unit: the person, or their household),
-- KEYS[3] ballots hash (unit -> json), KEYS[4] anonymous ballot box zset
-- ARGV[1] person, ARGV[2] option (0 = abstain), ARGV[3] now, ARGV[4] event id,
-- ARGV[5] proxy (staff person id or ''), ARGV[6] proxy reason, ARGV[7] random token
-- An open poll's ballot holds the choice; an anonymous poll's holds only who voted, and
-- the choice goes into the box under a random token, in token order: nothing links them.
-- Returns {'ok', unit} | {'changed', unit, old option} | {'same', unit} | {'replay', unit}
--   | {'already', unit, by, proxy} | {'closed'} | {'ineligible'} | {'bad_option'} | {'missing'}
local poll = redis.call('HMGET', KEYS[1], 'status', 'deadline', 'option_count', 'anonymous', 'changeable')
if not poll[1] then
  return {'missing'}
end
if poll[1] ~= 'open' or tonumber(ARGV[3]) >= tonumber(poll[2]) then
  return {'closed'}
end
local unit = redis.call('HGET', KEYS[2], ARGV[1])
if not unit then
  return {'ineligible'}
end
local option = tonumber(ARGV[2])
if not option or option < 0 or option > tonumber(poll[3]) then
  return {'bad_option'}
end
local anonymous = poll[4] == '1'
local record = {by = ARGV[1], at = ARGV[3], event = ARGV[4], proxy = ARGV[5], reason = ARGV[6]}
if not anonymous then
  record.option = option
end
local existing = redis.call('HGET', KEYS[3], unit)
local result = {'ok', unit}
if existing then
  local old = cjson.decode(existing)
  if old.event == ARGV[4] then
    return {'replay', unit}
  end
  if anonymous or poll[5] ~= '1' or old.by ~= ARGV[1] then
    return {'already', unit, old.by, old.proxy or ''}
  end
  if tonumber(old.option) == option then
    return {'same', unit}
  end
  result = {'changed', unit, tostring(old.option)}
end
redis.call('HSET', KEYS[3], unit, cjson.encode(record))
if anonymous then
  redis.call('ZADD', KEYS[4], 0, ARGV[7] .. ':' .. option)
end
-- Every write moves the version, so a close computed from older ballots is refused.
redis.call('HINCRBY', KEYS[1], 'version', 1)
return result
