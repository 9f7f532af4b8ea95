/** `npm run sdk:types`: regenerates sdk/src/generated/protocol.ts from src/protocol/. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OUTPUT, generateProtocolTypes } from './protocol-types.js';

await mkdir(dirname(OUTPUT), { recursive: true });
await writeFile(OUTPUT, await generateProtocolTypes());
console.log(`wrote ${OUTPUT}`);
