/** The one results table: a row per measure, a column per system, ratios of OrgHub to each. */
export type System = 'OrgHub' | 'ws' | 'sio';

export interface Row {
  scenario: string;
  measure: string;
  /** Which way is good, so a reader knows whether a ratio above 1 is a win. */
  better?: 'higher' | 'lower';
  values: Partial<Record<System, number | string>>;
  note?: string;
}

export function fmt(v: number | string | undefined): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function ratio(a: number | string | undefined, b: number | string | undefined): string {
  if (typeof a !== 'number' || typeof b !== 'number' || !(b > 0) || !Number.isFinite(a)) {
    return '—';
  }
  return `${(a / b).toFixed(2)}×`;
}

/** Renders the rows as a Markdown table (readable in a terminal, pasteable into BENCHMARKS.md). */
export function renderTable(rows: Row[]): string {
  const header = [
    'Scenario',
    'Measure',
    'OrgHub',
    'ws relay',
    'Socket.IO',
    'OrgHub/ws',
    'OrgHub/SIO',
    'Notes',
  ];
  const body = rows.map((r) => [
    r.scenario,
    r.better ? `${r.measure} (${r.better} is better)` : r.measure,
    fmt(r.values.OrgHub),
    fmt(r.values.ws),
    fmt(r.values.sio),
    ratio(r.values.OrgHub, r.values.ws),
    ratio(r.values.OrgHub, r.values.sio),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
