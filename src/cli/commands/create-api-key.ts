import { EXIT, optionalString, required, type Command } from '../command.js';

interface Created {
  id: string;
  org_id: string;
  name: string;
  scopes: string[];
  groups: string[] | null;
  key: string;
}

const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

const createApiKey: Command = {
  name: 'create-api-key',
  summary: 'Create an API key for a backend (the key is printed this once)',
  usage:
    'orghub create-api-key --org <id> --name <name> --scopes <scope,...> [--groups <id,...>] [--json]',
  help: `Creates an API key exactly as POST /api/v1/orgs/{orgId}/api-keys does for the operator,
and prints it. It is shown this once: only its SHA-256 is stored, so store it now (a secret
manager, the backend's environment). The last line of the output is the key alone.

A key acts in its org only and only within its scopes, authoring what it posts under its
name (user_id null). Revoke it with DELETE /api/v1/orgs/{orgId}/api-keys/{id}.

Options:
  --org <id>           the key's org (required)
  --name <name>        shown as the author of what it posts (required)
  --scopes <list>      comma-separated, from messages:read, messages:write, broadcast,
                       tasks:read, tasks:write, users:read (required)
  --groups <list>      limit it to these groups (public or private); default: the org's
                       public groups
  --json               print the created key (with the key) as JSON

Example:
  npx orghub create-api-key --org acme --name deploy-bot --scopes messages:write \\
    --groups releases | tail -1 > deploy-bot.key`,
  options: {
    org: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string' },
    groups: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    // Loaded here, so `orghub --help` does not load the server.
    const { withOperatorApi } = await import('../operator-api.js');
    const orgId = required(ctx, 'org');
    const groups = optionalString(ctx, 'groups');
    const body = {
      name: required(ctx, 'name'),
      scopes: list(required(ctx, 'scopes')),
      ...(groups !== undefined && { groups: list(groups) }),
    };
    const created = await withOperatorApi(ctx.config(), (call) =>
      call<Created>('POST', `/api/v1/orgs/${encodeURIComponent(orgId)}/api-keys`, body, {
        name: '--name',
        scopes: '--scopes',
        groups: '--groups',
      }),
    );
    if (ctx.values['json']) {
      ctx.out(JSON.stringify(created));
    } else {
      const reach = created.groups ? `groups ${created.groups.join(', ')}` : 'public groups';
      ctx.out(
        `created API key ${created.name} in ${created.org_id} (id ${created.id}), scopes ${created.scopes.join(', ')}, ${reach}; it is shown only now:`,
      );
      ctx.out(created.key);
    }
    return EXIT.ok;
  },
};
export default createApiKey;
