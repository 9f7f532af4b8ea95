import { Ajv, type ErrorObject } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { isInstant } from '../protocol/common.js';

// ajv-formats ships CommonJS with a default export that ESM sees as a namespace.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

/**
 * Bodies are validated strictly: no type coercion (a number is not a string) and unknown
 * fields are refused, never silently dropped, so `org_id`, `role` or `id` cannot be slipped
 * in. Query strings and path parameters arrive as text, so only they are coerced.
 */
function makeAjv(coerce: boolean) {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats(ajv);
  // RFC 3339 as ajv-formats reads it, narrowed to instants JS Date and PostgreSQL both hold.
  ajv.addFormat('date-time', isInstant);
  return ajv;
}

/** Validators of one app: a strict one for bodies, a coercing one for query and params. */
export function createValidators() {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  const compiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object);
  return {
    compiler,
    /** Adds a schema that routes reference with `Type.Ref(id)`. */
    addSchema(schema: object) {
      strict.addSchema(schema);
      coercing.addSchema(schema);
    },
  };
}

/** One sentence that names the failing field, e.g. `body.role is not allowed`. */
export function describeValidationError(context: string, e: ErrorObject): string {
  const path = e.instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
  const field = path ? `${context}.${path}` : context;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${field}.${String(params['missingProperty'])} is required`;
    case 'additionalProperties':
      return `${field}.${String(params['additionalProperty'])} is not allowed`;
    case 'minProperties':
      return `${field} must have at least one field`;
    case 'type':
      return `${field} must be ${String(params['type'])}`;
    case 'format':
      return params['format'] === 'date-time'
        ? `${field} must be an RFC 3339 date-time between 1970 and 9999`
        : `${field} must be a valid ${String(params['format'])}`;
    case 'anyOf':
    case 'enum':
    case 'const':
      return `${field} has an unsupported value`;
    default:
      return `${field} ${e.message ?? 'is invalid'}`;
  }
}
