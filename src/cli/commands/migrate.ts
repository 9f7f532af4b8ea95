import { EXIT, type Command } from '../command.js';

const migrate: Command = {
  name: 'migrate',
  summary: 'Apply the database migrations this version needs, then exit',
  usage: 'orghub migrate',
  help: `Brings the database (DATABASE_URL, or the embedded one in DATA_DIR) to this version's
schema and prints what it applied. The server does the same at every start, so this is for
upgrading ahead of a rolling restart, or checking a database. On PostgreSQL it takes the same
advisory lock as the servers, so it may run while nodes start; on the embedded database it
refuses while a server holds DATA_DIR.

Examples:
  DATABASE_URL=postgres://orghub@db/orghub npx orghub migrate
  DATA_DIR=/var/lib/orghub npx orghub migrate`,
  async run(ctx) {
    // Loaded here, so `orghub --help` does not load the server.
    const { lockForTask, openError, openForTask } = await import('../database-task.js');
    const { appliedMigrations, journal } = await import('../migrations.js');
    const config = ctx.config();
    // What is there, then the migration, under one hold of DATA_DIR's lock (embedded).
    const unlock = config.databaseUrl ? undefined : await lockForTask(config);
    let before: string[];
    try {
      before = await appliedMigrations(config).catch((err: unknown) => {
        throw openError(err, config);
      });
      const database = await openForTask(config, { locked: true });
      await database.close();
    } finally {
      await unlock?.();
    }
    const all = journal().map((e) => e.tag);
    const applied = all.filter((tag) => !before.includes(tag));
    const where = config.databaseUrl ? 'PostgreSQL' : `the embedded database in ${config.dataDir}`;
    if (applied.length === 0) {
      ctx.out(`${where} is up to date (${all.length} migrations, newest ${all.at(-1)})`);
    } else {
      ctx.out(`applied ${applied.length} migration(s) to ${where}: ${applied.join(', ')}`);
    }
    return EXIT.ok;
  },
};
export default migrate;
