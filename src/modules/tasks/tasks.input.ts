import { badRequest } from '../../errors.js';
import { isInstant } from '../../protocol/common.js';
import type { Reminder } from '../../protocol/tasks.js';

/** Checks on task input that JSON Schema cannot express; each error names its field. */

export const normaliseReminders = (rs: Reminder[]): Reminder[] =>
  rs.map((r) =>
    'at' in r
      ? { at: instant(r.at, 'reminders.at') }
      : { before_due_minutes: r.before_due_minutes },
  );

/**
 * The schema already refused anything else (`isInstant` is its date-time format); this
 * normalises to the contract's form and guards callers that skip the schema.
 */
export function instant(s: string, field: string): string {
  if (!isInstant(s))
    throw badRequest(`${field} must be an RFC 3339 date-time between 1970 and 9999`);
  return new Date(Date.parse(s)).toISOString();
}

export function parseList<T extends string>(
  raw: string,
  allowed: readonly T[],
  field: string,
): T[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw badRequest(`query.${field} must list at least one value`);
  for (const item of items)
    if (!allowed.includes(item as T))
      throw badRequest(`query.${field} has an unsupported value "${item.slice(0, 40)}"`);
  return items as T[];
}
