import { chmod, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Makes a directory and everything in it readable and writable by this user only (0700
 * directories, 0600 files), and answers what it could not change.
 *
 * Why a walk and not only a umask: PGlite's initdb writes the cluster's files 0666 and
 * rewrites `pg_internal.init` 0644 at every start through explicit chmod calls, which no umask
 * narrows. Files PostgreSQL creates while it runs ask for 0600 themselves, and `main.ts` sets
 * umask 077 for everything else; the walk runs when the database opens and when it closes.
 * Symbolic links are left alone (their target may be anywhere); entries that vanish meanwhile
 * (PostgreSQL's temporary files) are skipped.
 */
export async function makePrivate(dir: string): Promise<Error[]> {
  const failures: Error[] = [];
  const fix = async (p: string, want: number, mode: number) => {
    if ((mode & 0o777) === want) return;
    try {
      await chmod(p, want);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') failures.push(err as Error);
    }
  };
  const walk = async (p: string): Promise<void> => {
    let st;
    try {
      st = await lstat(p);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') failures.push(err as Error);
      return;
    }
    if (st.isSymbolicLink()) return;
    if (!st.isDirectory()) return fix(p, FILE_MODE, st.mode);
    await fix(p, DIR_MODE, st.mode);
    let names: string[] = [];
    try {
      names = await readdir(p);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') failures.push(err as Error);
    }
    for (const name of names) await walk(path.join(p, name));
  };
  await walk(dir);
  return failures;
}
