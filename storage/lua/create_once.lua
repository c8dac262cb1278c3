-- Create one record once per event: find what the event created before, or draw a new id
-- and write the record with everything that indexes it, in one step. A redelivered or
-- doubled event finds its record; a crash leaves all of it or none of it. Tickets, polls,
-- time-bank exchanges and volunteer tasks are all made here (storage/create_once.py).
-- KEYS[1] event id -> record id hash (read; written when spec.remember), KEYS[2] the id
-- counter, KEYS[3..] keys the spec names by their index in KEYS ("k").
-- ARGV[1] the event id, ARGV[2] the spec as JSON:
--   remember  true: note the event in KEYS[1] (else the record keeps it itself, see find)
--   find      {k, min, max, key, field, value}: an earlier record is also one of the
--             members of zset KEYS[k] scored min..max (newest 50) whose hash `key`
--             holds `value` in `field`
--   hset      [{key, set = [name, value, ...]}]  (in order; an empty list writes nothing)
--   rpush     [{key, value}]
--   zadd      [{key, score, member}]
--   sadd      [{key, member}]
--   hincrby   [{key, field, by}]  (a counter the record adds to: the ticket statistics)
-- A `key` is an index in KEYS, or a template of storage/keys.py (a key method called
-- with NEW_ID "$id", so it carries the community's hash tag): "$id" in it, and a value
-- or member that is exactly "$id", become the id (find: the candidate's id).
-- Returns {id, 1 created now | 0 the event had created it}
local spec = cjson.decode(ARGV[2])

local function key(ref, id)
  if type(ref) == 'number' then
    return KEYS[ref]
  end
  return (string.gsub(ref, '%$id', tostring(id)))
end
local function value(v, id)
  if v == '$id' then
    return id
  end
  return v
end

local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  return {tonumber(existing), 0}
end
local find = spec.find
if find then
  for _, id in ipairs(redis.call('ZREVRANGEBYSCORE', KEYS[find.k], find.max, find.min, 'LIMIT', 0, 50)) do
    if redis.call('HGET', key(find.key, id), find.field) == find.value then
      return {tonumber(id), 0}
    end
  end
end

local id = redis.call('INCR', KEYS[2])
for _, h in ipairs(spec.hset or {}) do
  local flat, hash = {}, key(h.key, id)
  for i, v in ipairs(h.set) do
    flat[i] = value(v, id)
  end
  -- a few hundred fields per HSET: unpack() has a limit, and a poll's voters may be thousands
  for first = 1, #flat, 400 do
    redis.call('HSET', hash, unpack(flat, first, math.min(first + 399, #flat)))
  end
end
for _, r in ipairs(spec.rpush or {}) do
  redis.call('RPUSH', key(r.key, id), value(r.value, id))
end
for _, z in ipairs(spec.zadd or {}) do
  redis.call('ZADD', key(z.key, id), z.score, value(z.member, id))
end
for _, s in ipairs(spec.sadd or {}) do
  redis.call('SADD', key(s.key, id), value(s.member, id))
end
for _, h in ipairs(spec.hincrby or {}) do
  redis.call('HINCRBY', key(h.key, id), h.field, h.by)
end
if spec.remember then
  redis.call('HSET', KEYS[1], ARGV[1], id)
end
return {id, 1}
