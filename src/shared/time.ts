/** RFC 3339 in UTC with milliseconds, the contract's timestamp format. */
export const iso = (d: Date): string => d.toISOString();
export const isoOrNull = (d: Date | null | undefined): string | null =>
  d ? d.toISOString() : null;
