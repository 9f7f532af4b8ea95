import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OUTPUT, generateProtocolTypes } from '../scripts/protocol-types.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('SDK wire types', () => {
  it('generated/protocol.ts is what src/protocol generates now (else: npm run sdk:types)', async () => {
    const checkedIn = await readFile(OUTPUT, 'utf8');
    expect(checkedIn).toBe(await generateProtocolTypes());
  });

  it('the SDK source imports nothing but itself (no server code, no runtime dependency)', async () => {
    const outside: string[] = [];
    for (const file of await sources(SRC)) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) {
        const spec = m[1]!;
        const resolved = join(file, '..', spec);
        if (!spec.startsWith('.') || !resolved.startsWith(SRC)) outside.push(`${file}: ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
