-- One worker report, applied atomically and at most once (Redis 5.0 or later).
-- KEYS: hashes, worker_hashes, worker_seen, worker_version, wallet, this run's last-report key
-- ARGV: worker id, report number, hashes, version, last-report TTL (s), then hex/bytes per coin
-- Returns {0} when this report was applied before (a resend after a lost reply), else {1, created...}:
-- one 1 (new) or 0 ("We already had that coin") per coin.

-- worker_seen is stamped with Redis's clock, the one clock every worker and the webui share: a worker whose own
-- clock is off would otherwise vanish from the dashboard. TIME before a write needs effects replication, the
-- default since Redis 5.0; asked for where the call exists, so an older Redis copes too.
if redis.replicate_commands then
    redis.replicate_commands()
end
local id, number, hashes = ARGV[1], tonumber(ARGV[2]), ARGV[3]

local last = redis.call('GET', KEYS[6])
if last and tonumber(last) >= number then
    return {0}
end

-- Everything is checked before anything is written, sums included: a report applies whole or not at all.
local function expect(key, kind)
    local actual = redis.call('TYPE', key).ok
    if actual ~= 'none' and actual ~= kind then
        return redis.error_reply('BADDATA ' .. key .. ' is a ' .. actual .. ', expected a ' .. kind)
    end
end
-- What INCRBY and HINCRBY accept (no sign but '-', no leading zero, within 64 bits), and whether adding `hashes`
-- stays within 64 bits. Lua's numbers are doubles, exact only to 2^53: long figures are compared as digit strings
-- of equal length, sums as two exact parts, the last 9 digits and the rest.
local LARGEST, SMALLEST = '9223372036854775807', '9223372036854775808'
local function parts(digits)
    local cut = #digits - 9
    if cut <= 0 then
        return 0, tonumber(digits)
    end
    return tonumber(string.sub(digits, 1, cut)), tonumber(string.sub(digits, cut + 1))
end
local function within(digits, limit)
    return #digits < #limit or (#digits == #limit and digits <= limit)
end
local function integer(key, value)
    if not value or value == '0' then
        return
    end
    local negative, digits = string.match(value, '^(%-?)([1-9]%d*)$')
    if not digits or not within(digits, negative == '-' and SMALLEST or LARGEST) then
        return redis.error_reply('BADDATA ' .. key .. ' holds "' .. value .. '", expected a 64-bit integer')
    end
    if negative == '-' then
        return  -- adding a count to it cannot pass the largest integer
    end
    local high, low = parts(digits)
    local addHigh, addLow = parts(hashes)
    local sumHigh, sumLow = high + addHigh, low + addLow
    if sumLow >= 1e9 then
        sumHigh, sumLow = sumHigh + 1, sumLow - 1e9
    end
    local maxHigh, maxLow = parts(LARGEST)
    if sumHigh > maxHigh or (sumHigh == maxHigh and sumLow > maxLow) then
        return redis.error_reply('BADDATA ' .. key .. ' holds ' .. value .. ': adding ' .. hashes
            .. ' would pass the largest integer Redis keeps')
    end
end
local problem = expect(KEYS[1], 'string') or expect(KEYS[2], 'hash') or expect(KEYS[3], 'zset')
    or expect(KEYS[4], 'hash') or expect(KEYS[5], 'hash')
    or integer(KEYS[1], redis.call('GET', KEYS[1]))
    or integer(KEYS[2] .. '[' .. id .. ']', redis.call('HGET', KEYS[2], id))
if problem then
    return problem
end

local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('INCRBY', KEYS[1], hashes)
redis.call('HINCRBY', KEYS[2], id, hashes)
redis.call('ZADD', KEYS[3], nowMs, id)
redis.call('HSET', KEYS[4], id, ARGV[4])
redis.call('SET', KEYS[6], number, 'EX', ARGV[5])
local created = {1}
for i = 6, #ARGV, 2 do
    created[#created + 1] = redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
end
return created
