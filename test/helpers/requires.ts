import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Suites that need a program the project does not ship (redis-server, Chromium, promtool,
 * pg_dump…) skip where it is missing, with ONE line saying why and how to run them, so that
 * `npm install && npm test` passes on a machine with only Node.js. `.ci/run` installs them
 * all, so in CI nothing skips for this reason.
 */

/** The full path of `bin` on PATH, or undefined. */
export function onPath(bin: string): string | undefined {
  return (process.env['PATH'] ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => path.join(dir, bin))
    .find((p) => existsSync(p));
}

/** Why the binaries cannot be used (`no redis-server on PATH`), or undefined when all are there. */
export function missingBinaries(...bins: string[]): string | undefined {
  const missing = bins.filter((b) => !onPath(b));
  return missing.length > 0 ? `no ${missing.join(' or ')} on PATH` : undefined;
}

const said = new Set<string>();

/**
 * True when `suite` must be skipped for `reason`; then prints, once per suite and process,
 * `<suite> skipped: <reason>: <how>`.
 */
export function skipSuite(suite: string, reason: string | undefined, how: string): boolean {
  if (!reason) return false;
  if (!said.has(suite)) {
    said.add(suite);
    process.stdout.write(`${suite} skipped: ${reason}: ${how}\n`);
  }
  return true;
}

const REDIS_HOW = 'install redis-server (apt-get install redis-server) or run .ci/run';

/**
 * For the suites that start their own redis-server (test/helpers/private-redis.ts): true when
 * it is not installed (the line is printed). `tools` adds redis-cli for a cluster.
 */
export function redisSuiteSkip(suite: string, tools: string[] = ['redis-server']): boolean {
  return skipSuite(suite, missingBinaries(...tools), REDIS_HOW);
}
