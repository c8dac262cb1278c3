-- Append one transaction to the ledger: the idempotency check, every precondition
-- (state, stock, daily cap, balances), the entries with their hash chain and the cached
-- balances, all in one step, so nothing is ever booked twice or half.
-- KEYS[1] entries list, KEYS[2] idempotency hash (key -> first seq), KEYS[3] balances hash
-- ("unit|account" -> integer), KEYS[4] head hash (seq, hash); KEYS[5..] keys the spec
-- names by their index in KEYS ("k").
-- ARGV[1] the transaction as JSON (absent parts are skipped):
--   key, event, at          idempotency key, event id, time (strings)
--   transfers [{unit, from, to, amount ("12"), kind, note, by, ref,
--               floor (lowest balance `from` may reach), index = [k, ...] lists to push the seq to}]
--   guards    [{k, field, expect}]        a hash field must hold exactly this value
--   fresh     [k, ...]                    a key must not exist yet
--   counts    [{k, field, by, min}]       HINCRBY by, unless the field is absent (unlimited);
--                                         the value must stay >= min
--   cap       {k, field, add, limit, ttl} a counter that must stay <= limit
--   writes    [{k, set = {field = value}}] ("$seq" is replaced by the first entry's seq)
--   zadds     [{k, score, member}]        index the record
--   rank      {k, member, by}             ZINCRBY
-- Returns {'ok', first seq, from balance, to balance, ... per transfer} | {'replay', seq} |
-- {'conflict', i, actual} | {'taken', i} | {'short', i, value} | {'capped', used} |
-- {'insufficient', i, balance}

local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local rshift, lshift, ror, tobit = bit.rshift, bit.lshift, bit.ror, bit.tobit

-- SHA-256 (FIPS 180-4): Redis Lua offers only SHA-1, and the chain uses SHA-256.
local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2}

local function sha256(msg)
  local bits = #msg * 8
  msg = msg .. '\128' .. string.rep('\0', (55 - #msg) % 64) .. '\0\0\0\0'
    .. string.char(band(rshift(bits, 24), 255), band(rshift(bits, 16), 255),
                   band(rshift(bits, 8), 255), band(bits, 255))
  local h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
  local w = {}
  for chunk = 1, #msg, 64 do
    for i = 0, 15 do
      local a, b, c, d = string.byte(msg, chunk + i * 4, chunk + i * 4 + 3)
      w[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
    end
    for i = 16, 63 do
      local s0 = bxor(ror(w[i - 15], 7), ror(w[i - 15], 18), rshift(w[i - 15], 3))
      local s1 = bxor(ror(w[i - 2], 17), ror(w[i - 2], 19), rshift(w[i - 2], 10))
      w[i] = tobit(w[i - 16] + s0 + w[i - 7] + s1)
    end
    local a, b, c, d, e, f, g, hh = h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
    for i = 0, 63 do
      local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
      local ch = bxor(band(e, f), band(bnot(e), g))
      local t1 = tobit(hh + S1 + ch + K[i + 1] + w[i])
      local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
      local maj = bxor(band(a, b), band(a, c), band(b, c))
      local t2 = tobit(S0 + maj)
      hh, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + t2)
    end
    h[1], h[2], h[3], h[4] = tobit(h[1] + a), tobit(h[2] + b), tobit(h[3] + c), tobit(h[4] + d)
    h[5], h[6], h[7], h[8] = tobit(h[5] + e), tobit(h[6] + f), tobit(h[7] + g), tobit(h[8] + hh)
  end
  local out = {}
  for i = 1, 8 do out[i] = bit.tohex(h[i], 8) end
  return table.concat(out)
end

-- The hashed form of an entry: each field as "<byte length>:<value>;" in a fixed order
-- (storage/ledger.py FIELDS), so no value can be confused with its neighbours.
local FIELDS = {'seq', 'at', 'key', 'event', 'unit', 'from', 'to', 'amount', 'kind', 'note', 'by', 'ref', 'prev'}
local function canonical(entry)
  local parts = {}
  for i, name in ipairs(FIELDS) do
    local value = entry[name]
    parts[i] = #value .. ':' .. value .. ';'
  end
  return table.concat(parts)
end

local spec = cjson.decode(ARGV[1])
local seen = redis.call('HGET', KEYS[2], spec.key)
if seen then
  return {'replay', tonumber(seen)}
end
for i, g in ipairs(spec.guards or {}) do
  local actual = redis.call('HGET', KEYS[g.k], g.field)
  if actual ~= g.expect then
    return {'conflict', i, actual or ''}
  end
end
for i, k in ipairs(spec.fresh or {}) do
  if redis.call('EXISTS', KEYS[k]) == 1 then
    return {'taken', i}
  end
end
for i, c in ipairs(spec.counts or {}) do
  local value = redis.call('HGET', KEYS[c.k], c.field)
  if value and value ~= '' and tonumber(value) + c.by < c.min then
    return {'short', i, value}
  end
end
local cap = spec.cap
if cap then
  local used = tonumber(redis.call('HGET', KEYS[cap.k], cap.field) or '0')
  if used + cap.add > cap.limit then
    return {'capped', used}
  end
end

-- Balances after every transfer, checked against each payer's floor before any write.
local after = {}
local function field(unit, account)
  local name = unit .. '|' .. account
  if after[name] == nil then
    after[name] = tonumber(redis.call('HGET', KEYS[3], name) or '0')
  end
  return name
end
if #spec.transfers == 0 then
  return redis.error_reply('ledger: a transaction needs at least one transfer')
end
for i, t in ipairs(spec.transfers) do
  if not string.match(t.amount, '^[1-9]%d*$') or t.from == t.to then
    return redis.error_reply('ledger: bad transfer ' .. i)
  end
  local amount = tonumber(t.amount)
  local payer, payee = field(t.unit, t.from), field(t.unit, t.to)
  if t.floor and after[payer] - amount < t.floor then
    return {'insufficient', i, after[payer]}
  end
  after[payer] = after[payer] - amount
  after[payee] = after[payee] + amount
end

local head = redis.call('HMGET', KEYS[4], 'seq', 'hash')
local seq = tonumber(head[1] or '0')
local prev = head[2] or string.rep('0', 64)
local first = seq + 1
local result = {'ok', first}
for i, t in ipairs(spec.transfers) do
  seq = seq + 1
  local entry = {seq = tostring(seq), at = spec.at, key = i == 1 and spec.key or (spec.key .. '#' .. i),
                 event = spec.event, unit = t.unit, from = t.from, to = t.to, amount = t.amount,
                 kind = t.kind, note = t.note, by = t.by, ref = t.ref, prev = prev}
  entry.hash = sha256(canonical(entry))
  redis.call('RPUSH', KEYS[1], cjson.encode(entry))
  local amount = tonumber(t.amount)
  result[#result + 1] = redis.call('HINCRBY', KEYS[3], t.unit .. '|' .. t.from, -amount)
  result[#result + 1] = redis.call('HINCRBY', KEYS[3], t.unit .. '|' .. t.to, amount)
  for _, k in ipairs(t.index or {}) do
    redis.call('RPUSH', KEYS[k], seq)
  end
  prev = entry.hash
end
redis.call('HSET', KEYS[4], 'seq', seq, 'hash', prev)
redis.call('HSET', KEYS[2], spec.key, first)

for _, c in ipairs(spec.counts or {}) do
  local value = redis.call('HGET', KEYS[c.k], c.field)
  if value and value ~= '' then
    redis.call('HINCRBY', KEYS[c.k], c.field, c.by)
  end
end
if cap then
  redis.call('HINCRBY', KEYS[cap.k], cap.field, cap.add)
  redis.call('EXPIRE', KEYS[cap.k], cap.ttl)
end
for _, w in ipairs(spec.writes or {}) do
  for name, value in pairs(w.set) do
    redis.call('HSET', KEYS[w.k], name, value == '$seq' and tostring(first) or value)
  end
end
for _, z in ipairs(spec.zadds or {}) do
  redis.call('ZADD', KEYS[z.k], z.score, z.member)
end
if spec.rank then
  redis.call('ZINCRBY', KEYS[spec.rank.k], spec.rank.by, spec.rank.member)
end
return result
