import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { until } from '../helpers/wait.js';
import { MAIN } from './process.js';
import { missingBinaries, skipSuite } from '../helpers/requires.js';

/**
 * What a person sees: on a terminal, one readable line per event and the start banner after
 * the start's log lines (not buried under them); piped, JSON a collector can parse. The
 * terminal is a real pseudo-terminal from util-linux's `script`.
 */

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function dataDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orghub-logs-'));
  await cp(inject('pgliteTemplateDir'), dir, { recursive: true });
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts the built server, through `script` when `tty`; stdout as it comes. */
async function start(tty: boolean, extra: Record<string, string> = {}) {
  const env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    SHELL: '/bin/sh',
    DATA_DIR: await dataDir(),
    PORT: '0',
    HOST: '127.0.0.1',
    ...extra,
  };
  const argv = tty
    ? ['script', ['-qfec', `exec ${process.execPath} ${MAIN}`, '/dev/null']]
    : [process.execPath, [MAIN]];
  const child = spawn(argv[0] as string, argv[1] as string[], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => child.on('exit', r));
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  await until(() => /Health: +http:\/\/127\.0\.0\.1:\d+\/health/.test(out), 60_000, 'the banner');
  const base = /Web app: +(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)![1]!;
  return {
    base,
    output: () => out.replace(/\r\n/g, '\n'),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

// The terminal tests need util-linux's `script` (a pseudo-terminal); Debian always has it.
const noScript = skipSuite(
  'log format on a terminal (test/foundation/log-format.test.ts)',
  missingBinaries('script'),
  "install util-linux's script (Debian: bsdutils)",
);

describe('log format', { timeout: 120_000 }, () => {
  it.skipIf(noScript)(
    'on a terminal: readable coloured lines, one per request, the banner after the start lines',
    async () => {
      const s = await start(true);
      expect((await fetch(`${s.base}/health`)).status).toBe(200);
      await fetch(`${s.base}/api/v1/orgs?access_token=never-shown`);
      await until(() => s.output().includes('GET /api/v1/orgs'), 10_000, 'the request line');
      await s.stop();
      const out = s.output();
      expect(out).toMatch(ANSI);
      const plain = out.replace(ANSI, '');
      const lines = plain.split('\n');
      expect(lines.some((l) => l.startsWith('{'))).toBe(false);
      const banner = lines.findIndex((l) => l.startsWith('OrgHub is running'));
      const listening = lines.findLastIndex((l) => / INFO: Server listening at /.test(l));
      expect(listening).toBeGreaterThanOrEqual(0);
      expect(banner).toBeGreaterThan(listening);
      // One line per request, method, path, status and time; the token in the query redacted.
      expect(lines.filter((l) => l.includes('/health'))).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^\[[\d:.]+\] INFO: GET \/health 200 [\d.]+ms$/),
        ]),
      );
      expect(lines.filter((l) => l.includes('GET /health 200'))).toHaveLength(1);
      expect(plain).toMatch(/INFO: GET \/api\/v1\/orgs\?access_token=\[REDACTED\] 401 [\d.]+ms/);
      expect(out).not.toContain('never-shown');
      expect(out).not.toContain('incoming request');
    },
  );

  it('piped: every log line is JSON, and the banner follows the start lines', async () => {
    const s = await start(false);
    await fetch(`${s.base}/health`);
    await until(() => s.output().includes('"request completed"'), 10_000, 'the request log');
    await s.stop();
    const lines = s.output().split('\n');
    const banner = lines.findIndex((l) => l.startsWith('OrgHub is running'));
    const logLines = lines.filter((l) => l.startsWith('{'));
    const listening = lines.findLastIndex((l) => l.includes('Server listening at'));
    expect(banner).toBeGreaterThan(listening);
    for (const l of logLines) expect(() => JSON.parse(l) as unknown, l).not.toThrow();
    expect(logLines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(
      expect.arrayContaining(['incoming request', 'request completed', 'shutting down']),
    );
    expect(s.output()).not.toMatch(ANSI);
  });

  it.skipIf(noScript)('LOG_FORMAT=json on a terminal keeps JSON', async () => {
    const s = await start(true, { LOG_FORMAT: 'json' });
    await s.stop();
    const logLines = s
      .output()
      .replace(ANSI, '')
      .split('\n')
      .filter((l) => l.includes('Server listening'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const l of logLines) expect(JSON.parse(l)).toMatchObject({ level: 30 });
  });
});
