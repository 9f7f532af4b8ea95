/* global process, URL */
// `prepare` runs on every `npm install` in this directory. In a source checkout it builds the
// server (dist/) and the web app (web/dist); in an unpacked release tarball both come
// prebuilt and the build tools (dev dependencies) are absent, so there is nothing to do.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/main.ts', import.meta.url))) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const { status } = spawnSync(npm, ['run', 'build'], { stdio: 'inherit' });
  process.exit(status ?? 1);
}
