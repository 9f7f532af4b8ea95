import { EXIT, optionalString, required, usageError, type Command } from '../command.js';
import { readSecretLine } from '../stdin.js';

interface User {
  id: string;
  org_id: string;
  username: string;
  role: string;
}

const createUser: Command = {
  name: 'create-user',
  summary: 'Create a user in an org (its first admin, say)',
  usage:
    'orghub create-user --org <id> --username <name> --email <email> (--password-stdin | --password <p>) [--role admin|member] [--full-name <n>] [--json]',
  help: `Creates a user exactly as POST /api/v1/users does for the operator (same rules for
usernames, emails and passwords; the password is hashed with scrypt). Exits 3 when the
username is taken in that org.

Options:
  --org <id>           the user's org (required)
  --username <name>    (required)
  --email <email>      (required)
  --password-stdin     read the password from the first line of standard input
  --password <p>       the password on the command line (visible to other local users in ps)
  --role admin|member  default member
  --full-name <name>
  --json               print the created user as JSON

Example:
  printf '%s\\n' "$ALICE_PASSWORD" | npx orghub create-user --org acme --username alice \\
    --email alice@acme.test --role admin --password-stdin`,
  options: {
    org: { type: 'string' },
    username: { type: 'string' },
    email: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    role: { type: 'string' },
    'full-name': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    // Loaded here, so `orghub --help` does not load the server.
    const { withOperatorApi } = await import('../operator-api.js');
    const given = optionalString(ctx, 'password');
    if (given !== undefined && ctx.values['password-stdin']) {
      throw usageError('give --password or --password-stdin, not both');
    }
    const password = ctx.values['password-stdin'] ? await readSecretLine(ctx.stdin) : given;
    if (!password) throw usageError('--password-stdin (or --password) is required');
    const role = optionalString(ctx, 'role');
    const fullName = optionalString(ctx, 'full-name');
    const body = {
      org_id: required(ctx, 'org'),
      username: required(ctx, 'username'),
      email: required(ctx, 'email'),
      password,
      ...(role !== undefined && { role }),
      ...(fullName !== undefined && { full_name: fullName }),
    };
    const user = await withOperatorApi(ctx.config(), (call) =>
      call<User>('POST', '/api/v1/users', body, {
        org_id: '--org',
        username: '--username',
        email: '--email',
        password: 'the password',
        role: '--role',
        full_name: '--full-name',
      }),
    );
    ctx.out(
      ctx.values['json']
        ? JSON.stringify(user)
        : `created ${user.role} ${user.username} in ${user.org_id} (id ${user.id})`,
    );
    return EXIT.ok;
  },
};
export default createUser;
