import { openAndMigrate } from './pglite.js';

/**
 * `node pglite-init.js <dir>`: creates and migrates a new embedded database, then exits, so
 * that initdb's transient memory leaves with this process (see initInChild in pglite.ts).
 */
const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: pglite-init <data dir>\n');
  process.exit(2);
}
const client = await openAndMigrate(dir);
await client.close();
