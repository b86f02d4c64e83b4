-- One worker report, applied atomically and at most once (Redis 5.0 or later).
-- KEYS: hashes, worker_hashes, worker_seen, worker_version, wallet, this run's last-report key
-- ARGV: worker id, report number, hashes, now (epoch ms), version, last-report TTL (s), then hex/bytes per coin
-- Returns {0} when this report was applied before (a resend after a lost reply), else {1, created...}:
-- one 1 (new) or 0 ("We already had that coin") per coin.
local id, number, hashes = ARGV[1], tonumber(ARGV[2]), ARGV[3]

local last = redis.call('GET', KEYS[6])
if last and tonumber(last) >= number then
    return {0}
end

-- Everything is checked before anything is written: a report applies whole or not at all.
local function expect(key, kind)
    local actual = redis.call('TYPE', key).ok
    if actual ~= 'none' and actual ~= kind then
        return redis.error_reply('BADDATA ' .. key .. ' is a ' .. actual .. ', expected a ' .. kind)
    end
end
local function integer(key, value)
    if value and not string.match(value, '^%-?%d+$') then
        return redis.error_reply('BADDATA ' .. key .. ' holds "' .. value .. '", expected an integer')
    end
end
local problem = expect(KEYS[1], 'string') or expect(KEYS[2], 'hash') or expect(KEYS[3], 'zset')
    or expect(KEYS[4], 'hash') or expect(KEYS[5], 'hash')
    or integer(KEYS[1], redis.call('GET', KEYS[1]))
    or integer(KEYS[2] .. '[' .. id .. ']', redis.call('HGET', KEYS[2], id))
if problem then
    return problem
end

redis.call('INCRBY', KEYS[1], hashes)
redis.call('HINCRBY', KEYS[2], id, hashes)
redis.call('ZADD', KEYS[3], ARGV[4], id)
redis.call('HSET', KEYS[4], id, ARGV[5])
redis.call('SET', KEYS[6], number, 'EX', ARGV[6])
local created = {1}
for i = 7, #ARGV, 2 do
    created[#created + 1] = redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
end
return created
