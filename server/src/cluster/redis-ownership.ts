import type { RedisClient } from '../store/redis-connect.ts';
import { redisKeys } from '../store/redis-keys.ts';
import { RedisScript, type Replication } from '../store/redis-script.ts';
import type { Held, Ownership, TickRequest, TickResult } from './ownership.ts';

/**
 * One node's tick (see Ownership.tick), all in one slot (the `{handoff}` hash tag, or the namespace's):
 * KEYS = members (hash node -> expiry ms), leases (hash partition -> `token:holder:expiry`), fence (counter).
 * ARGV = node, ttl, leave (0/1), #renew, #release, #acquire, PARTITIONS, renew pairs (partition, token),
 * release pairs, acquire partitions. Expiry is on Redis's clock (TIME), so nodes' clocks do not
 * matter. Fields are read and written in chunks (a few calls per tick however many partitions).
 * Returns {wasMember, members, lost, acquired pairs, ms until the first other member lapses or -1,
 * the count PARTITIONS in use when refused because the live members use another one (field
 * `#partitions`) else -1, and the acquired partitions whose lease was another node's and lapsed}.
 */
const TICK = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local node, ttl = ARGV[1], tonumber(ARGV[2])
local nRenew, nRelease, nAcquire = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local CHUNK = 500
local function hmget(key, fields)
  local out = {}
  for i = 1, #fields, CHUNK do
    local part = redis.call('HMGET', key, unpack(fields, i, math.min(i + CHUNK - 1, #fields)))
    for _, v in ipairs(part) do out[#out + 1] = v end
  end
  return out
end
local function hset(key, flat)
  for i = 1, #flat, 2 * CHUNK do redis.call('HSET', key, unpack(flat, i, math.min(i + 2 * CHUNK - 1, #flat))) end
end
local function hdel(key, fields)
  for i = 1, #fields, CHUNK do redis.call('HDEL', key, unpack(fields, i, math.min(i + CHUNK - 1, #fields))) end
end
local function parse(v)
  if not v then return nil end
  local a = string.find(v, ':', 1, true)
  local b = string.find(v, ':', a + 1, true)
  return tonumber(string.sub(v, 1, a - 1)), string.sub(v, a + 1, b - 1), tonumber(string.sub(v, b + 1))
end

local mine = redis.call('HGET', KEYS[1], node)
local wasMember = (mine and tonumber(mine) > now) and 1 or 0
local inUse = redis.call('HGET', KEYS[1], '#partitions')
if inUse and inUse ~= ARGV[7] then
  local entries = redis.call('HGETALL', KEYS[1])
  for i = 1, #entries, 2 do
    if entries[i] ~= node and entries[i] ~= '#partitions' and tonumber(entries[i + 1]) > now then return {wasMember, {}, {}, {}, -1, tonumber(inUse), {}} end
  end
end
redis.call('HSET', KEYS[1], '#partitions', ARGV[7])
if ARGV[3] == '1' then redis.call('HDEL', KEYS[1], node) else redis.call('HSET', KEYS[1], node, now + ttl) end
local all = redis.call('HGETALL', KEYS[1])
local members, gone, lapse = {}, {}, -1
for i = 1, #all, 2 do
  if all[i] ~= '#partitions' then
    local exp = tonumber(all[i + 1])
    if exp > now then
      members[#members + 1] = all[i]
      if all[i] ~= node and (lapse < 0 or exp - now < lapse) then lapse = exp - now end
    else gone[#gone + 1] = all[i] end
  end
end
if #gone > 0 then hdel(KEYS[1], gone) end

local at = 8
local lost, keep = {}, {}
if nRenew > 0 then
  local fields = {}
  for i = 0, nRenew - 1 do fields[#fields + 1] = ARGV[at + 2 * i] end
  local values = hmget(KEYS[2], fields)
  for i = 0, nRenew - 1 do
    local p, token = ARGV[at + 2 * i], tonumber(ARGV[at + 2 * i + 1])
    local ht, hn = parse(values[i + 1])
    if ht == token and hn == node then
      keep[#keep + 1] = p
      keep[#keep + 1] = token .. ':' .. node .. ':' .. (now + ttl)
    else
      lost[#lost + 1] = tonumber(p)
    end
  end
end
if #keep > 0 then hset(KEYS[2], keep) end
at = at + 2 * nRenew

if nRelease > 0 then
  local fields = {}
  for i = 0, nRelease - 1 do fields[#fields + 1] = ARGV[at + 2 * i] end
  local values = hmget(KEYS[2], fields)
  local free = {}
  for i = 0, nRelease - 1 do
    local ht, hn = parse(values[i + 1])
    if ht == tonumber(ARGV[at + 2 * i + 1]) and hn == node then free[#free + 1] = fields[i + 1] end
  end
  if #free > 0 then hdel(KEYS[2], free) end
end
at = at + 2 * nRelease

local acquired, takenOver = {}, {}
if nAcquire > 0 then
  local fields = {}
  for i = 0, nAcquire - 1 do fields[#fields + 1] = ARGV[at + i] end
  local values = hmget(KEYS[2], fields)
  local taken = {}
  for i = 1, nAcquire do
    local _, hn, expiry = parse(values[i])
    if not hn or expiry <= now or hn == node then
      if hn and hn ~= node then takenOver[#takenOver + 1] = tonumber(fields[i]) end
      local token = redis.call('INCR', KEYS[3])
      taken[#taken + 1] = fields[i]
      taken[#taken + 1] = token .. ':' .. node .. ':' .. (now + ttl)
      acquired[#acquired + 1] = tonumber(fields[i])
      acquired[#acquired + 1] = token
    end
  end
  if #taken > 0 then hset(KEYS[2], taken) end
end
return {wasMember, members, lost, acquired, lapse, -1, takenOver}
`);

const HOLDER = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
local a = string.find(v, ':', 1, true)
local b = string.find(v, ':', a + 1, true)
if tonumber(string.sub(v, b + 1)) <= now then return false end
return string.sub(v, a + 1, b - 1)
`);

/**
 * The ownership record in Redis (one server or a cluster): three keys in one slot, one script
 * per tick. With `replication`, a tick that acquired something counts only once that many replicas
 * hold it, so a fencing token handed out is never handed out again after a failover.
 */
export class RedisOwnership implements Ownership {
  private readonly keys: string[];

  /** `namespace`: the keys' hash tag; hubs sharing one Redis for separate deployments need separate ones. */
  constructor(
    private readonly redis: RedisClient,
    private readonly replication?: Replication,
    namespace = 'handoff',
  ) {
    this.keys = [redisKeys.members(namespace), redisKeys.partitionLeases(namespace), redisKeys.partitionFence(namespace)];
  }

  async tick(req: TickRequest): Promise<TickResult> {
    const pairs = (list: Held[]) => list.flatMap(({ partition, token }) => [partition, token]);
    const args = [req.node, req.ttlMs, req.leave ? 1 : 0, req.renew.length, req.release.length, req.acquire.length, req.partitions, ...pairs(req.renew), ...pairs(req.release), ...req.acquire];
    const [wasMember, members, lost, acquired, lapse, inUse, takenOver] = (await TICK.run(this.redis, this.keys, args, req.acquire.length > 0 ? this.replication : undefined)) as [number, string[], number[], number[], number, number, number[]];
    const taken: Held[] = [];
    for (let i = 0; i < acquired.length; i += 2) taken.push({ partition: acquired[i]!, token: acquired[i + 1]! });
    return { members: [...members].sort(), wasMember: wasMember === 1, lost, acquired: taken, takenOver, nextLapseMs: lapse < 0 ? null : lapse, ...(inUse >= 0 ? { partitionsInUse: inUse } : {}) };
  }

  async holder(partition: number): Promise<string | null> {
    return ((await HOLDER.run(this.redis, [this.keys[1]!], [partition])) as string | null) ?? null;
  }
}
