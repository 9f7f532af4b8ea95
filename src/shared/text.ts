/**
 * Why a client's string cannot be stored as PostgreSQL text, or undefined when it can.
 *
 * PostgreSQL text holds neither U+0000 nor a lone UTF-16 surrogate. JSON can carry both
 * (`"\u0000"`, `"\ud800"`); a NUL fails the query, and a lone surrogate either fails it (in a
 * json parameter: "invalid input syntax for type json") or is silently replaced by U+FFFD
 * (in a text parameter). Both are refused up front instead, with the field named.
 */
export function textFault(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL';
  // In a `u` regex a surrogate pair is one code point, so \p{Cs} matches only lone halves.
  if (LONE_SURROGATE.test(s)) return 'must be well-formed Unicode (it holds a lone surrogate)';
  return undefined;
}

const LONE_SURROGATE = /\p{Cs}/u;
