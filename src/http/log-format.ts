import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from '../config.js';

/**
 * How the server's logs look. JSON is what log collectors parse; a person at a terminal
 * gets one readable line per event instead (`auto` picks by whether stdout is a TTY).
 */
export type LogFormat = 'json' | 'pretty';

export function resolveLogFormat(setting: Config['logFormat'], stdoutIsTty: boolean): LogFormat {
  if (setting === 'auto') return stdoutIsTty ? 'pretty' : 'json';
  return setting;
}

/** Fields pretty lines leave out: the process's identity, and what `requestLine` folds in. */
const PRETTY_IGNORE = 'pid,hostname,reqId,req,res,responseTime';

/**
 * A completed request as `GET /api/v1/orgs 200 3.1ms`; any other record as its message.
 * Errors and other fields still follow on the same line (pino-pretty's singleLine).
 */
function requestLine(log: Record<string, unknown>, messageKey: string): string {
  const req = log.req as { method?: string; url?: string } | undefined;
  const res = log.res as { statusCode?: number } | undefined;
  if (req?.method && res?.statusCode !== undefined && typeof log.responseTime === 'number') {
    return `${req.method} ${req.url ?? ''} ${res.statusCode} ${log.responseTime.toFixed(1)}ms`;
  }
  return String(log[messageKey] ?? '');
}

/**
 * A synchronous pretty printer (to stdout unless told otherwise). pino-pretty is loaded only
 * here: the JSON path (production, CI) never imports it.
 */
export async function prettyLogStream(
  destination: number | DestinationStream | NodeJS.WritableStream = 1,
  colorize = process.stdout.isTTY === true,
): Promise<DestinationStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    destination,
    sync: true,
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: PRETTY_IGNORE,
    singleLine: true,
    messageFormat: requestLine,
  });
}

/**
 * Fastify logs two lines per request (incoming, completed); at a terminal one is enough:
 * the completed one, carrying the request so `requestLine` can print method and path.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }
}
