import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Row } from './lib/table.js';

/**
 * `npx tsx bench/ab.ts --before=<dist> --after=<dist> [--rounds=2] [-- <bench args>]`: runs
 * `bench/run.ts` with BENCH_DIST set to each build in turn (before, after, before, after...),
 * OrgHub only (BENCH_BASELINES=0), and prints each OrgHub figure as the median over the rounds
 * for both builds. Alternating on the same machine in one session is what makes a change's
 * effect readable on a noisy, shared machine; the load average is printed with each run.
 */
function parseArgs(argv: string[]) {
  const opts = { before: '', after: '', rounds: 2, rest: [] as string[] };
  const sep = argv.indexOf('--');
  const own = sep === -1 ? argv : argv.slice(0, sep);
  opts.rest = sep === -1 ? [] : argv.slice(sep + 1);
  for (const a of own) {
    const [k, v] = a.split('=', 2);
    if (k === '--before' && v) opts.before = path.resolve(v);
    else if (k === '--after' && v) opts.after = path.resolve(v);
    else if (k === '--rounds' && v) opts.rounds = Math.max(1, Number(v));
    else
      throw new Error(
        `unknown argument ${a}: --before=<dist> --after=<dist> [--rounds=N] [-- <bench args>]`,
      );
  }
  if (!opts.before || !opts.after)
    throw new Error('--before and --after name two dist/ directories');
  return opts;
}

function runOnce(dist: string, rest: string[]): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...rest], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, BENCH_DIST: dist, BENCH_BASELINES: '0' },
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench run on ${dist} exited ${code}`));
      const quick = rest.includes('--quick') ? '-quick' : '';
      resolve(JSON.parse(readFileSync(`.bench-data/last-run${quick}.json`, 'utf8')) as Row[]);
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main() {
  const { before, after, rounds, rest } = parseArgs(process.argv.slice(2));
  const runs: Record<'before' | 'after', Row[][]> = { before: [], after: [] };
  const loads: string[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const which of ['before', 'after'] as const) {
      const load = os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
      loads.push(`round ${r + 1} ${which}: load avg ${load}`);
      process.stdout.write(
        `\n=== round ${r + 1}/${rounds}: ${which} (${which === 'before' ? before : after}), load avg ${load}\n`,
      );
      runs[which].push(await runOnce(which === 'before' ? before : after, rest));
    }
  }
  const key = (row: Row) => `${row.scenario} | ${row.measure}`;
  const keys = [...new Set(runs.after.flat().map(key))];
  const lines = [
    '| scenario / measure | before (median) | after (median) | runs before / after |',
    '| --- | --- | --- | --- |',
  ];
  for (const k of keys) {
    const of = (which: 'before' | 'after') =>
      runs[which]
        .map((rows) => rows.find((row) => key(row) === k)?.values.OrgHub)
        .filter((v): v is number => typeof v === 'number');
    const b = of('before');
    const a = of('after');
    const fmt = (xs: number[]) => (xs.length ? median(xs).toFixed(2) : '—');
    const all = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
    lines.push(`| ${k} | ${fmt(b)} | ${fmt(a)} | ${all(b)} / ${all(a)} |`);
  }
  process.stdout.write(`\n${loads.join('\n')}\n\n${lines.join('\n')}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench ab: ${err.message}\n`);
  process.exit(1);
});
