import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The fault suite needs PostgreSQL's server binaries and redis-server (it starts private
 * instances of both and crashes, pauses and restarts them). Where they are missing it is
 * skipped with one line saying why and how to run it. In CI it runs once, in the pass with
 * real services (`.ci/run` has the tools): its nodes use their private services either way.
 */
export function faultSuiteSkip(missing: string | undefined): boolean {
  const reason = missing
    ? `${missing}: install postgresql and redis-server (or run .ci/run) to run test/faults`
    : process.env['CI'] && !process.env['DATABASE_URL']
      ? 'runs once per CI run, in the PostgreSQL + Redis pass'
      : undefined;
  if (reason && !warned) {
    warned = true;
    if (firstInRun()) process.stdout.write(`fault suite skipped: ${reason}\n`);
  }
  return reason !== undefined;
}

let warned = false;

/**
 * Each test file runs in its own worker process: the first of the run (one parent process)
 * to create the marker says it, so the skip is one line however many fault files there are.
 */
function firstInRun(): boolean {
  try {
    writeFileSync(path.join(os.tmpdir(), `orghub-fault-skip-${process.ppid}`), '', { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}
