import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import lockfile from 'proper-lockfile';
import { onPath } from './helpers/requires.js';

const run = promisify(execFile);
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * Installs Debian's `chromium` for the browser suites when it is missing and this run may:
 * as root, with apt-get, and CHROMIUM_PATH not set (someone who set it chose a browser). Once
 * per run (global setup) under a machine-wide lock, so two test runs never race in apt; the
 * second finds it installed. Never downloads a browser. When it cannot, the browser suites
 * skip with one line (test/browser/harness.ts).
 */
export async function provisionChromium(
  // Tests point these elsewhere (and put a stand-in apt-get on PATH).
  opts: { target?: string; lockTarget?: string; root?: boolean } = {},
): Promise<void> {
  const target = opts.target ?? DEBIAN_CHROMIUM;
  if (process.env['CHROMIUM_PATH'] || existsSync(target)) return;
  if (!(opts.root ?? process.getuid?.() === 0) || !onPath('apt-get')) return;
  const lockTarget = opts.lockTarget ?? path.join(os.tmpdir(), 'orghub-provision-chromium');
  if (!existsSync(lockTarget)) writeFileSync(lockTarget, '');
  const release = await lockfile.lock(lockTarget, {
    retries: { retries: 600, minTimeout: 1000, maxTimeout: 1000 },
    stale: 15 * 60_000,
  });
  try {
    if (existsSync(target)) return;
    process.stdout.write("installing Debian's chromium for the browser suites (apt-get, once)\n");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], {
        env,
        maxBuffer: 64 * 1024 * 1024,
      });
    // A fresh image has no package lists yet: update once, then install again.
    await install().catch(async () => {
      await run('apt-get', ['update', '-q'], { env, maxBuffer: 64 * 1024 * 1024 });
      await install();
    });
  } catch (err) {
    process.stdout.write(
      `could not install chromium (${(err as Error).message.split('\n')[0]}); the browser suites will skip\n`,
    );
  } finally {
    await release();
  }
}
