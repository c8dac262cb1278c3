-- One step of an elder's alarm (storage/care.py Care.step), once per operation key: applied
-- only if the person's open alarm is still the one the step belongs to, unchanged since
-- the caller read it; the operation remembers the alarm before and after it, so a
-- redelivered event finds what it did and says the same again.
-- KEYS[1] the person's state hash (field `alarm`, JSON; `claim:ALARM` fields),
-- KEYS[2] the applied operations (hash: operation key -> {before, after} JSON)
-- ARGV[1] operation key (event id | step), ARGV[2] the alarm id the step belongs to
-- ("" : no alarm may be open, the step opens one), ARGV[3] the alarm as the caller read it
-- ("" none), ARGV[4] the alarm after the step ("" removes it), ARGV[5] seconds operations
-- are remembered, ARGV[6] a claimant ("" : not a claim; else `claim:ALARM` is set to them
-- if nobody holds it, the alarm unchanged), ARGV[7] "1": a step not taken once the alarm is claimed
-- Returns {result, before, after, current}: ok | replay (this operation was applied
-- before: before/after as then, current "1" when the alarm is still as it left it) |
-- stale (the alarm is gone or another one: before = the alarm now) | retry (the same
-- alarm changed since it was read: read again) | taken (claim: before = who holds it) |
-- claimed (the step is not taken: the alarm is claimed)
local cur = redis.call('HGET', KEYS[1], 'alarm') or ''
local prior = redis.call('HGET', KEYS[2], ARGV[1])
if prior then
  local rec = cjson.decode(prior)
  return {'replay', rec.before, rec.after, (cur == rec.after) and '1' or '0'}
end
local cur_id = ''
if cur ~= '' then cur_id = tostring(cjson.decode(cur).id) end
if cur_id ~= ARGV[2] then
  return {'stale', cur, '', '0'}
end
if cur ~= ARGV[3] then
  return {'retry', cur, '', '0'}
end
local after = ARGV[4]
if ARGV[6] ~= '' then
  local holder = redis.call('HGET', KEYS[1], 'claim:' .. ARGV[2])
  if holder then
    return {'taken', holder, '', '0'}
  end
  redis.call('HSET', KEYS[1], 'claim:' .. ARGV[2], ARGV[6])
  after = cur
else
  if ARGV[7] == '1' and redis.call('HEXISTS', KEYS[1], 'claim:' .. ARGV[2]) == 1 then
    return {'claimed', cur, '', '0'}
  end
  if after == '' then
    redis.call('HDEL', KEYS[1], 'alarm')
  else
    redis.call('HSET', KEYS[1], 'alarm', after)
  end
end
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({before = cur, after = after}))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
return {'ok', cur, after, '1'}
