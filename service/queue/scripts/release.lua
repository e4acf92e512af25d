-- Release: give leases back to the queue. Only the holder's leases are released.
--
-- KEYS[1]  zset   queue:leases        leased comment ids (score: lease expiry, unix s)
-- KEYS[2]  hash   queue:lease_owners  comment id -> moderator
-- ARGV[1]  moderator name
-- ARGV[2]  now (unix seconds)
-- ARGV[3…] comment ids; none means every lease this moderator holds
-- Returns  one {id, outcome} pair per id: outcome "released", "not_leased",
--          or "held:<moderator>" when someone else holds a live lease.
local leases, owners = KEYS[1], KEYS[2]
local moderator, now = ARGV[1], tonumber(ARGV[2])
local ids = {}
if #ARGV > 2 then
  for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  for _, id in ipairs(redis.call('ZRANGE', leases, 0, -1)) do
    if redis.call('HGET', owners, id) == moderator then ids[#ids + 1] = id end
  end
end

local out = {}
for _, id in ipairs(ids) do
  local expiry = tonumber(redis.call('ZSCORE', leases, id))
  local holder = redis.call('HGET', owners, id)
  local outcome
  if expiry == nil or expiry <= now then
    outcome = 'not_leased'
  elseif holder == moderator then
    outcome = 'released'
  else
    outcome = 'held:' .. tostring(holder)
  end
  if outcome == 'released' or outcome == 'not_leased' then
    -- someone else's live lease is left alone; an expired one is swept here
    redis.call('ZREM', leases, id)
    redis.call('HDEL', owners, id)
  end
  out[#out + 1] = {id, outcome}
end
return out
