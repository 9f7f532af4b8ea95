import type { Command } from '../command.js';

const serve: Command = {
  name: 'serve',
  summary: 'Run the server (what `npm start` runs)',
  usage: 'orghub serve',
  help: `Starts OrgHub: HTTP, WebSockets and the web app on HOST:PORT (0.0.0.0:8080), on the
embedded database in DATA_DIR or on DATABASE_URL, with REDIS_URL for several nodes.
Migrations are applied at start. Stops cleanly on SIGTERM or SIGINT.

Examples:
  npx orghub serve
  PORT=9000 DATA_DIR=/var/lib/orghub npx orghub serve
  DATABASE_URL=postgres://orghub@db/orghub REDIS_URL=redis://cache:6379 npx orghub serve`,
  keepsRunning: true,
  async run() {
    // The server's own entry point: it reads the environment, prints its banner, handles
    // signals and exits by itself.
    await import('../../main.js');
    return 0;
  },
};
export default serve;
