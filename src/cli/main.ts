#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError, configFromEnv, EXIT, type Command, type CommandContext } from './command.js';
import { loadCommands } from './registry.js';
import { makePrivate } from '../shared/private-dir.js';

/** `orghub <command> [options]`: the operator's tool. Configuration comes from the environment. */

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function overview(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `orghub ${version()}: the OrgHub server and its operator's tools`,
    '',
    'Usage: orghub <command> [options]      orghub <command> --help',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Every command reads the server's environment variables (DATABASE_URL, DATA_DIR, REDIS_URL, …);",
    'see docs/operations.md. Exit codes: 0 done, 1 failed, 2 wrong usage, 3 already exists.',
  ].join('\n');
}

const commandHelp = (c: Command) => `Usage: ${c.usage}\n\n${c.summary}\n\n${c.help.trimEnd()}`;

async function run(argv: string[]): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (name === undefined) {
    err(overview(commands));
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0] && commands.find((c) => c.name === rest[0]);
    out(topic ? commandHelp(topic) : overview(commands));
    return EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    out(version());
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    err(`orghub: unknown command "${name}" (commands: ${commands.map((c) => c.name).join(', ')})`);
    return EXIT.usage;
  }

  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    const message = (e as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    const why = unknown ? `unknown option ${unknown}` : message.split('\n')[0];
    err(`orghub ${name}: ${why}\nUsage: ${command.usage}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    out(commandHelp(command));
    return EXIT.ok;
  }
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    const names = command.positionals?.names;
    err(
      `orghub ${name}: ${max === 0 ? 'takes no arguments' : `expects ${names}`}\nUsage: ${command.usage}`,
    );
    return EXIT.usage;
  }

  const ctx: CommandContext = {
    values: parsed.values as CommandContext['values'],
    positionals: parsed.positionals,
    config: () => configFromEnv(),
    out,
    err,
    stdin: process.stdin,
  };
  try {
    const code = await command.run(ctx);
    serving = command.keepsRunning === true && code === EXIT.ok;
    // A one-shot task may have opened, restored or migrated the embedded database, whose
    // files PGlite writes with modes of its own choosing: DATA_DIR stays 0700 / 0600.
    if (!serving) await makePrivate(configFromEnv().dataDir);
    return code;
  } catch (e) {
    if (e instanceof CliError) {
      err(`orghub ${name}: ${e.message}`);
      return e.exitCode;
    }
    err(`orghub ${name}: ${(e as Error).stack ?? String(e)}`);
    return EXIT.failed;
  }
}

let serving = false;
// Whatever a command creates (DATA_DIR, dumps, restored databases) is this user's alone.
process.umask(0o077);
run(process.argv.slice(2)).then(
  (code) => {
    // A one-shot command ends here, even if a library left a timer or socket behind; the
    // server keeps running and exits on its own signals.
    if (!serving) process.exit(code);
  },
  (e: unknown) => {
    err(`orghub: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = EXIT.failed;
  },
);
