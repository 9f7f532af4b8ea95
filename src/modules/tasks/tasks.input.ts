import { badRequest } from '../../errors.js';
import type { Reminder } from '../../protocol/tasks.js';

/** Checks on task input that JSON Schema cannot express; each error names its field. */

export const normaliseReminders = (rs: Reminder[]): Reminder[] =>
  rs.map((r) =>
    'at' in r
      ? { at: instant(r.at, 'reminders.at') }
      : { before_due_minutes: r.before_due_minutes },
  );

// Bounds keep every derived time (a reminder a year before its due date) storable.
const MIN_INSTANT = Date.UTC(1970, 0, 1);
const MAX_INSTANT = Date.UTC(9999, 0, 1);

export function instant(s: string, field: string): string {
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw badRequest(`${field} must be a valid date-time`);
  if (t < MIN_INSTANT || t > MAX_INSTANT)
    throw badRequest(`${field} must be between 1970 and 9999`);
  return new Date(t).toISOString();
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
