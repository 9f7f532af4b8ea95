import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/realtime/redis-connection.js';

describe('REDIS_URL options', () => {
  it('reads the cluster, sharding, cache and namespace options, and never shows the password', () => {
    expect(parseRedisUrl('redis://:secret@cache:6380/2')).toEqual({
      url: 'redis://:secret@cache:6380/2',
      cluster: false,
      sharded: false,
      historyCache: true,
      namespace: undefined,
      where: 'cache:6380',
    });
    expect(
      parseRedisUrl('redis://cache?sharded=true&history_cache=off&namespace=prod'),
    ).toMatchObject({
      cluster: false,
      sharded: true,
      historyCache: false,
      namespace: 'prod',
      where: 'cache:6379',
    });
    // A cluster always uses sharded pub/sub.
    expect(parseRedisUrl('redis://n1:7000?cluster=1')).toMatchObject({
      cluster: true,
      sharded: true,
    });
  });

  it('refuses a namespace that could not name keys, naming REDIS_URL', () => {
    for (const bad of ['', 'a b', 'x{y}', 'a'.repeat(65)]) {
      expect(() => parseRedisUrl(`redis://cache?namespace=${encodeURIComponent(bad)}`)).toThrow(
        /^REDIS_URL: namespace/,
      );
    }
  });
});
