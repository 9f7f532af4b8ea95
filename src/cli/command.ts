import type { ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';

/**
 * One `orghub <name>` command. Each lives in its own file under `commands/`, default-exporting
 * one of these; the CLI finds them there, so adding a command is adding a file.
 */
export interface Command {
  name: string;
  /** One line for `orghub --help`. */
  summary: string;
  /** The synopsis, e.g. `orghub create-org <id> --name <name>`. */
  usage: string;
  /** What `orghub <name> --help` prints below the synopsis: what it does, options, examples. */
  help: string;
  /** The command's own options (`--help` is added to every command). */
  options?: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments it takes (default: none). */
  positionals?: { min: number; max: number; names: string };
  /** True for the server: the process lives on after `run` resolves. */
  keepsRunning?: boolean;
  /** Runs it; resolves with the process's exit code. Throws CliError for a clear failure. */
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The server's configuration from the environment (the same variables as `orghub serve`). */
  config(): Config;
  out(line: string): void;
  err(line: string): void;
  stdin: NodeJS.ReadableStream;
}

/**
 * Exit codes, the same for every command: 0 done, 1 it failed (a service is down, DATA_DIR is
 * in use, a tool is missing), 2 the command line or an argument is wrong, 3 it already exists.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, exists: 3 } as const;

/** A failure with a message meant for the operator, and its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** loadConfig, with a configuration error turned into the CLI's one-line failure. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration error: ${err.message}`);
    throw err;
  }
}

/** A string option's value, or a usage error naming the option when it is missing. */
export function required(ctx: CommandContext, option: string): string {
  const v = ctx.values[option];
  if (typeof v !== 'string' || v === '') throw usageError(`--${option} is required`);
  return v;
}

export function optionalString(ctx: CommandContext, option: string): string | undefined {
  const v = ctx.values[option];
  return typeof v === 'string' ? v : undefined;
}
