import { RESULT_MEMORY } from '../session/result-memory.ts';
import { redisKeys } from './redis-keys.ts';
import { closeRedis, type RedisClient } from './redis-connect.ts';
import { RedisScript, type Replication } from './redis-script.ts';
import { FencedWriteError, type PersistedSession, type Store } from './store.ts';

/**
 * One round trip: refuse a write whose fencing token is not the user's latest claim (-1), ignore one
 * older than the stored revision (0), else store it (1): the snapshot, and the command results
 * new since the last write appended to their list (or the whole list again, after `reset`); both
 * keys expire `ttl` ms after this write.
 * KEYS: session, owner (the claim), results. ARGV: json, revision, fence or '', reset, cap, ttl, results...
 */
const SAVE = new RedisScript(`
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return -1 end
local stored = redis.call('HGET', KEYS[1], 'r')
if stored and tonumber(stored) > tonumber(ARGV[2]) then return 0 end
if ARGV[4] == '1' then redis.call('DEL', KEYS[3]) end
if #ARGV > 6 then
  redis.call('RPUSH', KEYS[3], unpack(ARGV, 7))
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[5]), -1)
end
redis.call('HSET', KEYS[1], 'r', ARGV[2], 'd', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[3], ARGV[6])
if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
return 1
`);

/**
 * The session and its results; with a fencing token (ARGV[1]), a claim first: refused (-1) when a
 * newer token claimed the user since, else the token is recorded (expiring with the session).
 * KEYS: session, results, owner.
 */
const LOAD = new RedisScript(`
if ARGV[1] ~= '' then
  local claimed = redis.call('GET', KEYS[3])
  if claimed and tonumber(claimed) > tonumber(ARGV[1]) then return -1 end
  redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
end
return {redis.call('HGET', KEYS[1], 'd'), redis.call('LRANGE', KEYS[2], 0, -1)}
`);

/** Where the results went, in the stored snapshot. */
const IN_LIST = '@list';

type WithResults = { value?: unknown; context?: { results?: unknown } };

/**
 * Sessions in Redis, one hash per user (see redis-keys.ts); fenced writes checked in the same
 * script as the write. A session's recent command results (kept for deduplication, most of a
 * busy snapshot) live in a capped list beside it: each write appends only the results new since
 * the last one this node wrote, so a command writes a few hundred bytes of results, not 13 KB.
 */
export class RedisStore implements Store {
  /** Result entries this node has written (by identity: contexts share them from one change to the next). */
  private readonly written = new WeakSet<object>();

  /**
   * `redis` (one server or a cluster) is shared with RedisOwnership; the store closes it. A session
   * not written for `ttlMs` is deleted by Redis. With `replication`, a write counts only once that
   * many replicas hold it too (WAIT), so a master killed and replaced by its replica loses nothing
   * that was reported stored.
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly opts: { ttlMs: number; replication?: Replication } = { ttlMs: 30 * 86_400_000 },
  ) {}

  async load(userId: string, fence?: number): Promise<PersistedSession | null> {
    const keys = [redisKeys.session(userId), redisKeys.results(userId), redisKeys.owner(userId)];
    // A claim is a write: it waits for the replicas too, so a failover cannot forget it.
    const loaded = await LOAD.run(this.redis, keys, [fence === undefined ? '' : String(fence), this.opts.ttlMs], fence === undefined ? undefined : this.opts.replication);
    if (loaded === -1) throw new FencedWriteError(userId, fence!);
    const [data, results] = loaded as [string | null, string[]];
    if (data === null) return null;
    const session = JSON.parse(data) as PersistedSession;
    const context = (session.snapshot as WithResults | undefined)?.context;
    if (context?.results === IN_LIST) context.results = results.map((r) => JSON.parse(r) as unknown);
    return session;
  }

  async save(userId: string, session: PersistedSession, fence?: number): Promise<void> {
    const snapshot = session.snapshot as WithResults | undefined;
    const results = snapshot?.context?.results;
    let json: string;
    let reset = '0';
    let fresh: object[] = [];
    if (Array.isArray(results)) {
      const entries = results as object[];
      let i = entries.length;
      while (i > 0 && !this.written.has(entries[i - 1]!)) i--;
      // None written by this node (restored from another one, or the first write): the whole list again.
      if (i === 0) reset = '1';
      fresh = entries.slice(i);
      for (const entry of fresh) this.written.add(entry);
      json = JSON.stringify({ ...session, snapshot: { ...snapshot, context: { ...snapshot!.context, results: IN_LIST } } });
    } else {
      json = JSON.stringify(session);
    }
    const keys = [redisKeys.session(userId), redisKeys.owner(userId), redisKeys.results(userId)];
    const args = [json, session.revision, fence === undefined ? '' : String(fence), reset, RESULT_MEMORY, this.opts.ttlMs, ...fresh.map((r) => JSON.stringify(r))];
    const result = await SAVE.run(this.redis, keys, args, this.opts.replication);
    if (result === -1) throw new FencedWriteError(userId, fence!);
  }

  async delete(userId: string): Promise<void> {
    await this.redis.del(redisKeys.session(userId), redisKeys.results(userId), redisKeys.owner(userId));
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }
}
