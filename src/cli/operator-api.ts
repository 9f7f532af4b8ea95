import { pino } from 'pino';
import { buildApp } from '../app.js';
import type { Config } from '../config.js';
import { CliError, EXIT } from './command.js';
import { lockForTask, openError } from './database-task.js';

/**
 * One call of the REST API as the operator; resolves with the answer's JSON body. `names`
 * maps body fields to the command's options, so an error names what the operator typed
 * (`body.email must be …` becomes `--email must be …`).
 */
export type OperatorCall = <T>(
  method: 'GET' | 'POST',
  url: string,
  body?: object,
  names?: Record<string, string>,
) => Promise<T>;

const SERVER_HINT = ', or make this call over HTTP with the operator token (see docs/api.md)';

/**
 * Runs `task` against an in-process OrgHub on the configured database, calling its routes as
 * the operator: the same validation, policies, password hashing and live events as the HTTP
 * API, without a listening port. On the embedded database it refuses while a server holds
 * DATA_DIR. The app's own logs go to stderr, warnings and worse unless LOG_LEVEL says more.
 */
export async function withOperatorApi<T>(
  config: Config,
  task: (call: OperatorCall) => Promise<T>,
): Promise<T> {
  if (!config.databaseUrl) await (await lockForTask(config, SERVER_HINT))();
  let app;
  try {
    app = await buildApp({
      config: { ...config, logLevel: process.env['LOG_LEVEL'] ? config.logLevel : 'warn' },
      logStream: pino.destination({ dest: 2, sync: true }),
    });
  } catch (err) {
    if (/is in use by another OrgHub process/.test((err as Error).message)) {
      throw new CliError(
        `DATA_DIR ${config.dataDir} is in use by a running OrgHub server: stop it first${SERVER_HINT}`,
      );
    }
    throw openError(err, config);
  }
  const token = app.secrets.adminToken;
  try {
    return await task(async <R>(method: 'GET' | 'POST', url: string, body?: object, names = {}) => {
      const res = await app.http.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(body && { payload: body }),
      });
      const json = res.body ? (JSON.parse(res.body) as unknown) : undefined;
      if (res.statusCode < 300) return json as R;
      const message = ((json as { error?: string } | undefined)?.error ?? res.body).replace(
        /\bbody\.(\w+)/g,
        (field: string, name: string) => names[name as keyof typeof names] ?? field,
      );
      if (res.statusCode === 409) throw new CliError(message, EXIT.exists);
      if (res.statusCode === 400 || res.statusCode === 413) {
        throw new CliError(message, EXIT.usage);
      }
      throw new CliError(`${message} (HTTP ${res.statusCode})`);
    });
  } finally {
    await app.close();
  }
}
