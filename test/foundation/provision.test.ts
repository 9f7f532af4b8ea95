import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { provisionChromium } from '../provision.js';

/**
 * The global setup's Chromium install, with a stand-in apt-get on PATH (the real one would
 * change the machine): it runs at most once however many runs start together, and not at all
 * when it should not.
 */
describe('provisionChromium', () => {
  let dir: string;
  let target: string;
  let calls: string;
  const saved = { PATH: process.env['PATH'], CHROMIUM_PATH: process.env['CHROMIUM_PATH'] };
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orghub-provision-'));
    target = path.join(dir, 'chromium');
    calls = path.join(dir, 'calls');
    // Records its arguments, takes a while (as apt does), then "installs" the browser.
    await writeFile(
      path.join(dir, 'apt-get'),
      `#!/bin/sh\necho "$*" >> '${calls}'\nsleep 0.3\n[ "$1" = install ] && touch '${target}'\nexit 0\n`,
    );
    await chmod(path.join(dir, 'apt-get'), 0o755);
    process.env['PATH'] = `${dir}:${saved.PATH ?? ''}`;
    delete process.env['CHROMIUM_PATH'];
  });
  afterEach(async () => {
    process.env['PATH'] = saved.PATH;
    if (saved.CHROMIUM_PATH !== undefined) process.env['CHROMIUM_PATH'] = saved.CHROMIUM_PATH;
    await rm(dir, { recursive: true, force: true });
  });
  const opts = () => ({ target, lockTarget: path.join(dir, 'lock'), root: true });
  const aptCalls = async () =>
    (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean);

  it('as root with apt-get: installs Debian chromium once, however many runs race', async () => {
    await Promise.all([provisionChromium(opts()), provisionChromium(opts())]);
    expect(await aptCalls()).toEqual(['install -y -q --no-install-recommends chromium']);
    await provisionChromium(opts());
    expect(await aptCalls()).toHaveLength(1);
  });

  it('does nothing when not root, or when CHROMIUM_PATH names a browser', async () => {
    await provisionChromium({ ...opts(), root: false });
    process.env['CHROMIUM_PATH'] = '/opt/my/chromium';
    await provisionChromium(opts());
    expect(await aptCalls()).toEqual([]);
  });
});
