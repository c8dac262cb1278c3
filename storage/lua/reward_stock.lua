-- Set or adjust an item's stock without losing a redemption that happens at the same time.
-- KEYS[1] the item hash
-- ARGV[1] 'set' | 'add', ARGV[2] the number (for 'add' it may be negative)
-- Returns {'ok', new stock} | {'missing'} | {'unlimited'} | {'negative', current stock}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing'}
end
local n = tonumber(ARGV[2])
if ARGV[1] == 'set' then
  if n < 0 then return {'negative', n} end
  redis.call('HSET', KEYS[1], 'stock', n)
  return {'ok', n}
end
local current = redis.call('HGET', KEYS[1], 'stock')
if not current or current == '' then
  return {'unlimited'}
end
if tonumber(current) + n < 0 then
  return {'negative', tonumber(current)}
end
return {'ok', redis.call('HINCRBY', KEYS[1], 'stock', n)}
