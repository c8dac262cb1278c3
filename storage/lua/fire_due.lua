-- Move due jobs onto the inbound streams; ZREM makes each occurrence fire exactly once
-- however many schedulers run.
-- KEYS[1] jobs zset, KEYS[2] payload hash, KEYS[3..] inbound shard streams
-- ARGV[1] now, ARGV[2] limit
-- A payload is either a whole event, {"shard": N, "event": "<event json>"} (jobs.schedule),
-- or a timer's reference, {"s":N,"o":ORDER,"d":{DATA}} with the job named KIND:KEY
-- (jobs.schedule_timer): its event is made here, as handlers/timers.py used to store it:
-- {"id": "timer:KIND:KEY@DUE", "channel": "timer", "kind": "timer",
--  "data": {DATA…, "job": KIND, "key": KEY, "due": DUE, "order": ORDER}}, DUE the job's score.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local fired = 0
for i = 1, #due, 2 do
  local id, score = due[i], due[i + 1]
  local payload = redis.call('HGET', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  fired = fired + 1
  if payload and string.sub(payload, 1, 5) == '{"s":' then
    local shard = tonumber(string.match(payload, '^{"s":(%d+)'))
    local o_at = string.find(payload, ',"o":', 1, true)
    local d_at = string.find(payload, ',"d":', 1, true)
    local order = string.sub(payload, o_at + 5, d_at - 1)
    local data = string.sub(payload, d_at + 5, -2)
    local colon = string.find(id, ':', 1, true)
    local when = score
    if not string.find(when, '[%.eEnN]') then when = when .. '.0' end
    local extra = '"job":' .. cjson.encode(string.sub(id, 1, colon - 1)) .. ',"key":' ..
      cjson.encode(string.sub(id, colon + 1)) .. ',"due":' .. when .. ',"order":' .. order .. '}'
    if data == '{}' then
      data = '{' .. extra
    else
      data = string.sub(data, 1, -2) .. ',' .. extra
    end
    local event = '{"id":' .. cjson.encode('timer:' .. id .. '@' .. string.format('%.0f', tonumber(score))) ..
      ',"channel":"timer","kind":"timer","data":' .. data .. '}'
    redis.call('XADD', KEYS[3 + shard], '*', 'event', event)
  elseif payload then
    local job = cjson.decode(payload)
    redis.call('XADD', KEYS[3 + job.shard], '*', 'event', job.event)
  end
end
return fired
