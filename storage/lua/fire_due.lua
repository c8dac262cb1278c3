-- Move due jobs onto the inbound streams; ZREM makes each occurrence fire exactly once
-- however many schedulers run.
-- KEYS[1] jobs zset, KEYS[2] payload hash, KEYS[3..] inbound shard streams
-- ARGV[1] now, ARGV[2] limit
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  local payload = redis.call('HGET', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  if payload then
    local job = cjson.decode(payload)
    redis.call('XADD', KEYS[3 + job.shard], '*', 'event', job.event)
  end
end
return #due
