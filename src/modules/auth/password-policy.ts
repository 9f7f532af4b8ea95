import { badRequest } from '../../errors.js';

/**
 * The passwords people pick first, from @zxcvbn-ts/language-common (49,000 entries compiled
 * from breach corpora, kept up by the zxcvbn-ts project). The package decompresses its lists
 * when imported, so it is imported on the first check, not at start (a server that never sees a
 * new password never holds them).
 */
let common: Promise<Set<string>> | undefined;
const commonPasswords = () =>
  (common ??= import('@zxcvbn-ts/language-common').then(
    ({ dictionary }) => new Set(dictionary['passwords-common'].map((p) => String(p).toLowerCase())),
  ));

/** Parts of a name shorter than this are too short to count as "the password contains it". */
const MIN_NAME_PART = 3;

/**
 * Refuses a password that is one of the common breached passwords, or that is (or contains)
 * the account's username or the local part of its email (case-insensitive): the first things
 * an attacker tries. The length rule lives in the schema (`Password`).
 */
export async function assertAcceptablePassword(
  password: string,
  account: { username: string; email: string },
): Promise<void> {
  const p = password.toLowerCase();
  if ((await commonPasswords()).has(p)) {
    throw badRequest('body.password is one of the most common passwords; choose another');
  }
  const names = [account.username, account.email.split('@')[0] ?? '']
    .map((n) => n.toLowerCase())
    .filter((n) => n.length >= MIN_NAME_PART);
  if (names.some((n) => p.includes(n))) {
    throw badRequest('body.password must not contain the username or the email');
  }
}
