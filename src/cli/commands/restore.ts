import path from 'node:path';
import { CliError, EXIT, type Command } from '../command.js';

const restore: Command = {
  name: 'restore',
  summary: 'Restore the database from a file written by `orghub backup`',
  usage: 'orghub restore <file> [--force]',
  help: `Restores <file> into the configured database, then applies this version's migrations
(a backup of an older version is brought up to date) and prints what it holds.
  - embedded: loaded into a new directory and swapped in only once it opened; a database
    already in DATA_DIR needs --force and is kept as DATA_DIR/pg.replaced-<time>. Refuses
    while a server holds DATA_DIR.
  - PostgreSQL: pg_restore in one transaction (all or nothing); a database that already has
    OrgHub's tables needs --force (they are replaced). Stop every node first.
An embedded backup restores only without DATABASE_URL, a pg_dump only with it.

Options:
  --force   replace the data that is there

Examples:
  DATA_DIR=/var/lib/orghub npx orghub restore orghub-2026-12-01.tar.gz --force
  DATABASE_URL=postgres://orghub@db/orghub npx orghub restore orghub-2026-12-01.pgdump`,
  options: { force: { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: 'the backup file' },
  async run(ctx) {
    // Loaded here, so `orghub --help` does not load the server.
    const { isEmbeddedBackup, readDump, restoreEmbedded } = await import('../backup-embedded.js');
    const { isPostgresBackup, restorePostgres } = await import('../backup-postgres.js');
    const { restoredSummary } = await import('../restore-summary.js');
    const config = ctx.config();
    const file = path.resolve(ctx.positionals[0]!);
    const force = ctx.values['force'] === true;
    const dump = await readDump(file);
    if (config.databaseUrl) {
      if (!isPostgresBackup(dump)) {
        throw new CliError(
          isEmbeddedBackup(dump)
            ? `${file} is an embedded (PGlite) backup: restore it without DATABASE_URL`
            : `${file} is not a backup written by orghub backup`,
        );
      }
      await restorePostgres(config.databaseUrl, file, force);
      ctx.out(`restored ${file} into PostgreSQL`);
    } else {
      if (!isEmbeddedBackup(dump)) {
        throw new CliError(
          isPostgresBackup(dump)
            ? `${file} is a PostgreSQL (pg_dump) backup: restore it with DATABASE_URL set`
            : `${file} is not a backup written by orghub backup`,
        );
      }
      const keptAs = await restoreEmbedded(config, dump, force);
      ctx.out(`restored ${file} into ${config.dataDir}`);
      if (keptAs) ctx.out(`the database it replaced is kept in ${keptAs}`);
    }
    ctx.out(`it holds ${await restoredSummary(config)}`);
    return EXIT.ok;
  },
};
export default restore;
