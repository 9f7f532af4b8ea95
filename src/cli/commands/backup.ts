import path from 'node:path';
import { EXIT, type Command } from '../command.js';

const backup: Command = {
  name: 'backup',
  summary: 'Write a backup of the database to a file',
  usage: 'orghub backup <file>',
  help: `Backs up the configured database into <file>:
  - embedded (no DATABASE_URL): PGlite's own dump of DATA_DIR/pg, a .tar.gz. The server must
    be stopped (it holds DATA_DIR); the command refuses while one runs.
  - PostgreSQL (DATABASE_URL): pg_dump --format=custom, consistent while the nodes keep
    running. Needs pg_dump on PATH, of the server's major version or newer.
DATA_DIR/secrets.json (the generated operator token and JWT secret) is not in the backup:
keep it, or set ADMIN_TOKEN and JWT_SECRET, so that tokens survive a restore.

Examples:
  DATA_DIR=/var/lib/orghub npx orghub backup orghub-$(date +%F).tar.gz
  DATABASE_URL=postgres://orghub@db/orghub npx orghub backup orghub-$(date +%F).pgdump`,
  positionals: { min: 1, max: 1, names: 'the file to write' },
  async run(ctx) {
    // Loaded here, so `orghub --help` does not load the server.
    const { backupEmbedded } = await import('../backup-embedded.js');
    const { backupPostgres } = await import('../backup-postgres.js');
    const config = ctx.config();
    const file = path.resolve(ctx.positionals[0]!);
    const bytes = config.databaseUrl
      ? await backupPostgres(config.databaseUrl, file)
      : await backupEmbedded(config, file);
    const kind = config.databaseUrl
      ? 'PostgreSQL (pg_dump custom format)'
      : 'embedded (PGlite dump)';
    ctx.out(`backed up the ${kind} database to ${file} (${bytes} bytes)`);
    return EXIT.ok;
  },
};
export default backup;
