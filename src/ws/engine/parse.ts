import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifyBaseLogger } from 'fastify';
import { isDatabaseUnavailable } from '../../db/database.js';
import { AppError } from '../../errors.js';

/**
 * One Ajv for every socket's frames. Strict on types (no coercion); whether unknown fields are
 * refused is each schema's own `additionalProperties`.
 */
const ajv = new Ajv({
  coerceTypes: false,
  removeAdditional: false,
  allErrors: false,
  strict: false,
});

export type Decoded =
  { ok: true; fields: Record<string, unknown> } | { ok: false; message: string };

/**
 * A client frame as a JSON object, or why it is not one. Binary frames, text that is not
 * JSON and JSON that is not an object are refused with the same words on every socket.
 */
export function decodeFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): Decoded {
  if (isBinary) return { ok: false, message: 'frames must be JSON text, not binary' };
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.from(data).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'frame must be a JSON object' };
  }
  return { ok: true, fields: value as Record<string, unknown> };
}

/** A compiled frame schema: the frame's type when it holds, else its first error. */
export interface FrameSchema<T> {
  check(fields: Record<string, unknown>): fields is Record<string, unknown> & T;
  /** The errors of the last failed check, as Ajv found them. */
  errors(): readonly ErrorObject[];
}

export function compileFrame<T>(schema: object): FrameSchema<T> {
  const validate: ValidateFunction<T> = ajv.compile<T>(schema);
  return {
    check: (fields): fields is Record<string, unknown> & T => validate(fields),
    errors: () => validate.errors ?? [],
  };
}

/** The failing field of an Ajv error, as the client wrote it (`content`, `limit`, ...). */
export function fieldOf(e: ErrorObject): string {
  if (e.keyword === 'required')
    return String((e.params as { missingProperty: string }).missingProperty);
  return e.instancePath.slice(1) || 'frame';
}

/** What a client is told of one Ajv error: the field and what is wrong with it. */
export function describe(e: ErrorObject | undefined): string {
  if (!e) return 'frame is invalid';
  if (e.keyword === 'additionalProperties')
    return `unknown field ${String((e.params as { additionalProperty: string }).additionalProperty)}`;
  return `${fieldOf(e)} ${e.message ?? 'is invalid'}`;
}

/** The words of a request the server could not carry out now (nothing was changed). */
export const UNAVAILABLE = 'could not be done now, nothing changed; retry';
export const NOT_STORED = 'the message could not be stored, nothing was sent; retry';

/**
 * The one mapping of a failed request to what its client is told: a client's mistake (an
 * AppError below 500) keeps its code when the socket's protocol has that code (`bad_request`
 * otherwise) and its message; anything else is `unavailable` (retry), logged unless it is the
 * database being down, which is the server working as meant.
 */
export function clientError<C extends string>(
  err: unknown,
  codes: readonly C[],
  unavailable: string,
  log: { logger: FastifyBaseLogger; what: string; context?: object },
): { code: C | 'bad_request' | 'unavailable'; message: string } {
  if (err instanceof AppError && err.status < 500) {
    const known = (codes as readonly string[]).includes(err.code);
    return { code: known ? (err.code as C) : 'bad_request', message: err.message };
  }
  logUnexpected(err, log.logger, log.what, log.context);
  return { code: 'unavailable', message: unavailable };
}

/** A failure that is not the database being down (the server working as meant) is a defect. */
export function logUnexpected(
  err: unknown,
  logger: FastifyBaseLogger,
  what: string,
  context: object = {},
): void {
  if (!isDatabaseUnavailable(err)) logger.error({ err, ...context }, what);
}

/** A compiled schema of one value (a single field of a frame). */
export function compileValue(schema: object): (value: unknown) => boolean {
  const validate = ajv.compile(schema);
  return (value) => validate(value);
}
