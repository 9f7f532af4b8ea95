import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, freshDatabase } from '../helpers/app.js';
import { until } from '../helpers/wait.js';

/**
 * The release as a user gets it: `npm pack` ships only what runs, and the tarball, installed
 * with production dependencies only, starts the server (prebuilt server and web app, a
 * `prepare` that needs no build tools). Installs come from npm's cache when it has the
 * packages (it does after this checkout's own `npm install`).
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cleanups: Array<() => Promise<unknown>> = [];
let work: string;
let tarball: string;
let files: string[];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'orghub-pack-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  // The suite runs on the built dist/ (as the lifecycle tests do); packing must not rebuild it.
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', work],
    { cwd: ROOT },
  );
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, info!.filename);
  files = info!.files.map((f) => f.path);
}, 120_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

const npmInstall = (cwd: string, ...args: string[]) =>
  run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', ...args], {
    cwd,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });

/** Starts a server command with its own data; resolves its base URL once the banner is out. */
async function serve(command: string, args: string[], cwd: string) {
  const where = await freshDatabase();
  cleanups.push(() => dropDatabase(where));
  const child = spawn(command, args, {
    cwd,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/tmp',
      DATA_DIR: where.dataDir,
      ...(where.databaseUrl && { DATABASE_URL: where.databaseUrl }),
      PORT: '0',
      HOST: '127.0.0.1',
    },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  await until(
    () => /Web app: +http:\/\/127\.0\.0\.1:\d+\//.test(out) || child.exitCode !== null,
    60_000,
    'the banner',
  );
  const base = /Web app: +(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
  expect(base, out).toBeDefined();
  return {
    base: base!,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

type Served = Awaited<ReturnType<typeof serve>>;

/** Health, the web app's page, then a clean stop on SIGTERM. */
async function checkServer(s: Served) {
  const health = await fetch(`${s.base}/health`);
  expect(health.status).toBe(200);
  expect(await health.text()).toBe('OK');
  const page = await fetch(`${s.base}/`);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  expect(await page.text()).toMatch(/<script[^>]+src="\/assets\/index-[\w-]+\.js"/);
  return s.stop();
}

describe('the packed release', { timeout: 240_000 }, () => {
  it('ships the built server, the web app, the migrations and nothing of the sources', () => {
    for (const f of [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      'dist/main.js',
      'dist/cli/main.js',
      'web/dist/index.html',
      'drizzle/0001_init.sql',
      'drizzle/meta/_journal.json',
      'scripts/prepare.mjs',
    ]) {
      expect(files).toContain(f);
    }
    const stray = files.filter(
      (f) =>
        /^(src|test|bench|sdk|docs|web\/src|\.ci)\//.test(f) ||
        f.endsWith('.map') ||
        f.endsWith('_snapshot.json') ||
        f === 'package-lock.json',
    );
    expect(stray).toEqual([]);
  });

  it('unpacked, `npm install --omit=dev` in it needs no build tools, and the server runs from it', async () => {
    const dir = path.join(work, 'unpacked');
    await mkdir(dir);
    await run('tar', ['xzf', tarball, '-C', dir, '--strip-components=1']);
    const { stderr } = await npmInstall(dir);
    expect(stderr).not.toMatch(/npm (warn|error)/i);
    // `npm start` runs exactly this; started directly, its exit code on SIGTERM is the server's.
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(pkg.scripts['start']).toBe('node dist/main.js');
    expect(await checkServer(await serve(process.execPath, ['dist/main.js'], dir))).toEqual({
      code: 0,
      signal: null,
    });
    // The `bin` entry: npm makes its target executable and links it into node_modules/.bin
    // wherever the package is installed; done here by hand, so the shebang is what runs it.
    // (One install serves both starts: the install is what takes the time here. `npx orghub`
    // is not used because npm exec does not pass SIGTERM on to the server it started.)
    const bin = path.join(dir, pkg.bin['orghub']!);
    await chmod(bin, 0o755);
    expect(await checkServer(await serve(bin, ['serve'], dir))).toEqual({ code: 0, signal: null });
  });
});
