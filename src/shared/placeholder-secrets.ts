/**
 * The values `.env.example` ships for the two secrets. A stack started with
 * `cp .env.example .env` and nothing changed runs with keys anyone can read on GitHub, so the
 * server says so at start (it still starts: a first try on a laptop is a fair use of them).
 * test/security/placeholder-secrets.test.ts keeps these equal to `.env.example`.
 */
export const EXAMPLE_SECRETS = {
  JWT_SECRET: 'change-me-to-at-least-32-random-characters-0000',
  ADMIN_TOKEN: 'change-me-operator-token-0000',
} as const;

type SecretName = keyof typeof EXAMPLE_SECRETS;

const RISK: Record<SecretName, string> = {
  JWT_SECRET: 'anyone can sign access tokens for any user',
  ADMIN_TOKEN: 'anyone can call the operator API',
};
const HOW: Record<SecretName, string> = {
  JWT_SECRET: 'openssl rand -base64 48',
  ADMIN_TOKEN: 'openssl rand -hex 24',
};

/** The variables whose value is the example's placeholder (or any other `change-me…`). */
export function placeholderSecrets(config: {
  jwtSecret: string | undefined;
  adminToken: string | undefined;
}): SecretName[] {
  const isPlaceholder = (v: string | undefined) => !!v && /^change-me/i.test(v);
  const names: SecretName[] = [];
  if (isPlaceholder(config.jwtSecret)) names.push('JWT_SECRET');
  if (isPlaceholder(config.adminToken)) names.push('ADMIN_TOKEN');
  return names;
}

/** One warn line per placeholder secret, naming the variable and how to make a real one. */
export function warnOfPlaceholderSecrets(
  config: { jwtSecret: string | undefined; adminToken: string | undefined },
  log: { warn(msg: string): void },
): void {
  for (const name of placeholderSecrets(config)) {
    log.warn(
      `${name} is the placeholder from .env.example: ${RISK[name]}; set a random value (${HOW[name]}) on every node`,
    );
  }
}
