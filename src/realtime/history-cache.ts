import { channels, parseChannel } from './channels.js';
import { makeFrame, type Frame, type GapSource } from './hub.js';
import { LuaScript, type RedisClient } from './redis-connection.js';

// Per group a sorted set scored by seq; each member is `<stored at, ms>|<frame text>` so that
// reads can honour the retention window without parsing frames. Trimmed to the newest
// `maxPerGroup`, and the key expires with the retention window.
/** KEYS: history. ARGV: seq, member, max entries, ttl ms. */
const APPEND = new LuaScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`);

/** How long a read may take before the store is asked instead (a healthy Redis: < 1 ms). */
const READ_TIMEOUT_MS = 200;

export interface HistoryCacheOptions {
  client: RedisClient;
  namespace: string;
  retentionMs: number;
  /** Messages kept per group (the newest). */
  maxPerGroup?: number;
}

/**
 * Recent group history in Redis, so that resumes (`since_seq`) and gap fills of recent
 * messages do not read PostgreSQL. PostgreSQL stays the truth: the cache answers only with a
 * run of seqs it holds without a hole, and only when that run provably reaches the group's
 * newest seq (or fills the page), so a cold, flushed or partial cache changes nothing but speed.
 */
export class HistoryCache {
  private readonly max: number;

  constructor(private readonly opts: HistoryCacheOptions) {
    this.max = opts.maxPerGroup ?? 1000;
  }

  private key(orgId: string, groupId: string) {
    return `${this.opts.namespace}${channels.group(orgId, groupId)}:history`;
  }

  /** Records a group message as published; other channels are ignored. Never throws. */
  async append(channel: string, seq: number, frame: string): Promise<void> {
    const c = parseChannel(channel);
    if (c?.kind !== 'group') return;
    const args = [seq, `${Date.now()}|${frame}`, this.max, this.opts.retentionMs];
    await APPEND.run(this.opts.client, [this.key(c.orgId, c.groupId)], args).catch(() => {});
  }

  /**
   * The frames after `afterSeq` it holds contiguously from `afterSeq + 1`, at most `limit`;
   * null when it cannot tell (a hole, an expired entry, Redis unavailable or slower than
   * `READ_TIMEOUT_MS`: the store answers instead).
   */
  async read(orgId: string, groupId: string, afterSeq: number, limit: number) {
    if (this.opts.client.status !== 'ready') return null;
    let raw: string[] | null;
    let timer: NodeJS.Timeout | undefined;
    try {
      raw = await Promise.race([
        this.opts.client.zrangebyscore(
          this.key(orgId, groupId),
          `(${afterSeq}`,
          '+inf',
          'WITHSCORES',
          'LIMIT',
          0,
          limit,
        ),
        // A gap fill holds its group's live frames back until it is answered: a hung Redis
        // must cost it a moment, not the whole hang (issue 16, defect 8).
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), READ_TIMEOUT_MS))),
      ]);
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
    if (raw === null) return null;
    const notBefore = Date.now() - this.opts.retentionMs;
    const frames: Frame[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const member = raw[i]!;
      const seq = Number(raw[i + 1]);
      const bar = member.indexOf('|');
      if (seq !== afterSeq + frames.length + 1) return null; // a hole: ask the store
      if (Number(member.slice(0, bar)) < notBefore) return null; // retention: the store decides
      frames.push(makeFrame('message', member.slice(bar + 1), seq)); // only messages are cached
    }
    return frames;
  }
}

/**
 * A GapSource that reads the cache first and the store when the cache cannot answer. An
 * answer from the cache is checked against the group's newest seq, which costs one
 * primary-key read instead of reading the messages.
 */
export function cachedGapSource(
  inner: GapSource,
  cache: HistoryCache,
  lastSeq: (orgId: string, groupId: string) => Promise<number | undefined>,
  onRead: (source: 'cache' | 'database') => void = () => {},
): GapSource {
  return {
    async framesAfter(orgId, groupId, afterSeq, limit) {
      const hit = await cache.read(orgId, groupId, afterSeq, limit);
      // Nothing cached after afterSeq proves nothing (a cold cache): one store read decides.
      if (hit?.length) {
        // Appends follow commits, so the cache is never ahead of the store: a run past the
        // newest seq is left over from another life of the database (a restore), and a short
        // run must end exactly at the newest seq, or something is missing from its tail.
        const end = hit[hit.length - 1]!.seq!;
        const newest = await lastSeq(orgId, groupId);
        if (newest !== undefined && (hit.length === limit ? end <= newest : end === newest)) {
          onRead('cache');
          return hit;
        }
      }
      onRead('database');
      return inner.framesAfter(orgId, groupId, afterSeq, limit);
    },
  };
}
