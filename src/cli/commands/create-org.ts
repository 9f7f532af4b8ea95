import { EXIT, required, type Command } from '../command.js';

interface Org {
  id: string;
  name: string;
  created_at: string;
}

const createOrg: Command = {
  name: 'create-org',
  summary: 'Create an organization',
  usage: 'orghub create-org <id> --name <name> [--json]',
  help: `Creates the org <id> (letters, digits, "-" and "_", up to 64, starting with a letter or
digit) named <name>, exactly as POST /api/v1/orgs does for the operator. Exits 3 when the org
already exists, so a provisioning script can run it again.

Options:
  --name <name>   the org's display name (required)
  --json          print the created org as JSON

Example:
  npx orghub create-org acme --name "Acme Inc."`,
  options: { name: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: 'the org id' },
  async run(ctx) {
    // Loaded here, so `orghub --help` does not load the server.
    const { withOperatorApi } = await import('../operator-api.js');
    const body = { id: ctx.positionals[0]!, name: required(ctx, 'name') };
    const org = await withOperatorApi(ctx.config(), (call) =>
      call<Org>('POST', '/api/v1/orgs', body, { id: '<id>', name: '--name' }),
    );
    ctx.out(ctx.values['json'] ? JSON.stringify(org) : `created org ${org.id} (${org.name})`);
    return EXIT.ok;
  },
};
export default createOrg;
