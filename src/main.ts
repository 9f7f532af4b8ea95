import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { describeStartupError } from './startup-error.js';

const SHUTDOWN_DEADLINE_MS = 30_000;

async function main() {
  // Whatever the server creates (DATA_DIR, its lock, attachment files) is this user's alone,
  // whatever umask it was started with; see shared/private-dir.ts for PGlite's own files.
  process.umask(0o077);
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`orghub: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  let app;
  try {
    app = await buildApp({ config, defaultMetrics: true });
  } catch (err) {
    process.stderr.write(
      `orghub: cannot start: ${describeStartupError(err, config.databaseUrl)}\n`,
    );
    process.exit(1);
  }
  const url = await app.listen().catch((err: Error) => {
    process.stderr.write(
      `orghub: cannot listen on ${config.host}:${config.port}: ${err.message}\n`,
    );
    process.exit(1);
  });

  const lines = [
    '',
    `OrgHub is running on ${app.database.driver === 'pglite' ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL'}.`,
    `  Web app:   ${url}/`,
    `  API docs:  ${url}/docs`,
    `  Health:    ${url}/health`,
  ];
  if (app.secrets.generated.adminToken) {
    lines.push(
      '',
      `  Operator token (shown once; kept in ${config.dataDir}/secrets.json):`,
      `    ${app.secrets.adminToken}`,
    );
  } else if (!config.adminToken) {
    lines.push('', `  Operator token: see ${config.dataDir}/secrets.json`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.http.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      process.stderr.write('orghub: shutdown took longer than 30 s, exiting\n');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    force.unref();
    app
      .close()
      .then(() => process.exit(0))
      .catch((err: Error) => {
        process.stderr.write(`orghub: error while shutting down: ${err.message}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
