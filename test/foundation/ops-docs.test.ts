import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startApp, type TestApp } from '../helpers/app.js';

/**
 * The alerting rules and the dashboard in docs/ may name only metrics the server exports,
 * so that a renamed metric breaks this test instead of silently blanking a panel or an alert.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const RULES = path.join(ROOT, 'docs/prometheus/orghub-rules.yml');
const DASHBOARD = path.join(ROOT, 'docs/grafana/orghub.json');
const run = promisify(execFile);

const metricNames = (text: string) => new Set(text.match(/\borghub_[a-z0-9_]+/g) ?? []);

interface Panel {
  title: string;
  targets?: { expr: string }[];
}

/** Every sample name /metrics can produce: histogram families add _bucket, _sum and _count. */
function exported(body: string): Set<string> {
  const names = new Set<string>();
  for (const m of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const name = m[1]!;
    const type = m[2];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

const onPath = (bin: string) =>
  (process.env['PATH'] ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => path.join(dir, bin))
    .find((p) => existsSync(p));

describe('docs/prometheus and docs/grafana', () => {
  let t: TestApp;
  let names: Set<string>;
  beforeAll(async () => {
    // The process metrics (CPU, memory, event loop) come with the default metrics, as in main.
    t = await startApp({ defaultMetrics: true });
    const res = await api<string>(t, 'GET', '/metrics');
    expect(res.status).toBe(200);
    names = exported(res.body);
  });
  afterAll(() => t?.close());

  it('the rules name only metrics GET /metrics exports', () => {
    const used = metricNames(readFileSync(RULES, 'utf8'));
    expect(used.size).toBeGreaterThanOrEqual(10);
    expect([...used].filter((n) => !names.has(n))).toEqual([]);
  });

  it('every dashboard panel queries only exported metrics', () => {
    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    expect(dash.panels.length).toBeGreaterThanOrEqual(10);
    for (const p of dash.panels) {
      const exprs = (p.targets ?? []).map((x) => x.expr).join('\n');
      const used = metricNames(exprs);
      expect(used.size, `panel "${p.title}" queries no OrgHub metric`).toBeGreaterThan(0);
      expect(
        [...used].filter((n) => !names.has(n)),
        `panel "${p.title}"`,
      ).toEqual([]);
    }
  });

  const promtool = onPath('promtool');
  if (!promtool) {
    process.stdout.write(
      'promtool check skipped: no promtool on PATH (apt-get install prometheus, or run .ci/run)\n',
    );
  }
  it.runIf(promtool)('promtool check rules accepts the rules file', async () => {
    const { stdout } = await run(promtool!, ['check', 'rules', RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });
});
