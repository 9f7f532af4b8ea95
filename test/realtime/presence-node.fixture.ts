// A presence node in its own process, so that a test can kill -9 it like a crashed server.
// argv: redis url, namespace, org id, group id, user id, ttl ms
import { RedisPresence } from '../../src/realtime/presence-redis.js';
import { openRedis, parseRedisUrl } from '../../src/realtime/redis-connection.js';

const [url, namespace, orgId, groupId, userId, ttl] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const client = await openRedis(parseRedisUrl(url), { offlineQueue: false, name: 'crash-node' });
const presence = new RedisPresence({ client, namespace, ttlMs: Number(ttl) });
await presence.join(orgId, groupId, 'c1', { userId, username: 'crashing' });
process.stdout.write('joined\n');
setInterval(() => {}, 60_000);
