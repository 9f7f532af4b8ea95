import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SECRETS } from '../../src/shared/placeholder-secrets.js';
import { captureLogs, startApp } from '../helpers/app.js';

const envExample = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
const exampleValue = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(envExample)?.[1];

const warnLines = async (config: { jwtSecret?: string; adminToken?: string }) => {
  const logs = captureLogs();
  const t = await startApp({ config: { logLevel: 'info', ...config }, logStream: logs.stream });
  await t.close();
  return logs.lines
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .filter((l) => l.level === 40 && /placeholder/.test(l.msg))
    .map((l) => l.msg);
};

describe('the .env.example placeholders', () => {
  it('are the values the server recognises', () => {
    expect(exampleValue('JWT_SECRET')).toBe(EXAMPLE_SECRETS.JWT_SECRET);
    expect(exampleValue('ADMIN_TOKEN')).toBe(EXAMPLE_SECRETS.ADMIN_TOKEN);
  });

  it('left in place, each gives one warn line at start naming its variable', async () => {
    const lines = await warnLines({
      jwtSecret: EXAMPLE_SECRETS.JWT_SECRET,
      adminToken: EXAMPLE_SECRETS.ADMIN_TOKEN,
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^JWT_SECRET is the placeholder from \.env\.example: /);
    expect(lines[1]).toMatch(/^ADMIN_TOKEN is the placeholder from \.env\.example: /);
    // The warning never repeats the secret itself.
    for (const l of lines) expect(l).not.toContain('change-me-');
    const one = await warnLines({ adminToken: EXAMPLE_SECRETS.ADMIN_TOKEN });
    expect(one).toHaveLength(1);
    expect(one[0]).toMatch(/^ADMIN_TOKEN /);
  });

  it('the server is silent about secrets that were changed', async () => {
    expect(await warnLines({})).toEqual([]);
  });
});
