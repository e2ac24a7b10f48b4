import type { RedisClient } from '../store/redis-connect.ts';
import { redisKeys } from '../store/redis-keys.ts';
import { RedisScript, type Replication } from '../store/redis-script.ts';
import type { Claim, Lease, Leases } from './leases.ts';

// The lease's value is `token:holder`. Scripts take KEYS = [lease, fence].

/** Free, or already ours: a new fencing token and the lease; else `{0, holder}`. */
const ACQUIRE = new RedisScript(`
local current = redis.call('GET', KEYS[1])
if current then
  local holder = string.sub(current, string.find(current, ':', 1, true) + 1)
  if holder ~= ARGV[1] then return {0, holder} end
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
return {token, ARGV[1]}
`);

/** Ours: extend. Lapsed and nobody took it since (fence unchanged): take it back. Else 0. */
const RENEW = new RedisScript(`
local want = ARGV[2] .. ':' .. ARGV[1]
local current = redis.call('GET', KEYS[1])
if current == want then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
if not current and redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('SET', KEYS[1], want, 'PX', ARGV[3])
  return 1
end
return 0
`);

const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[2] .. ':' .. ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`);

/**
 * Leases in Redis (one server or a cluster): `SET NX PX` semantics with a fencing counter, every
 * step one Lua script on the user's slot. With `replication`, an acquisition counts only once
 * that many replicas hold it: a fencing token handed out is never handed out again after the
 * master fails over to a replica.
 */
export class RedisLeases implements Leases {
  constructor(
    private readonly redis: RedisClient,
    private readonly replication?: Replication,
  ) {}

  async acquire(userId: string, holder: string, ttlMs: number): Promise<Claim> {
    const [token, who] = (await ACQUIRE.run(this.redis, this.keys(userId), [holder, ttlMs], this.replication)) as [number, string];
    return token > 0 ? { lease: { userId, holder, token } } : { holder: who };
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    return (await RENEW.run(this.redis, this.keys(lease.userId), [lease.holder, lease.token, ttlMs])) === 1;
  }

  async release(lease: Lease): Promise<void> {
    await RELEASE.run(this.redis, this.keys(lease.userId), [lease.holder, lease.token]);
  }

  async holder(userId: string): Promise<string | null> {
    const value = await this.redis.get(redisKeys.lease(userId));
    return value === null ? null : value.slice(value.indexOf(':') + 1);
  }

  private keys(userId: string): string[] {
    return [redisKeys.lease(userId), redisKeys.fence(userId)];
  }
}
