import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openPglite, openPostgres } from '../src/db/database.js';
import { adminPool, testDatabaseUrl, withDatabase } from './helpers/postgres.js';
import { provisionChromium } from './provision.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplateDir: string;
    postgresTemplate: string;
  }
}

/**
 * Creating an embedded database takes seconds, so the suite migrates one template once and
 * every test app starts from a copy of it. On PostgreSQL the template is a database that
 * each test file clones with CREATE DATABASE … TEMPLATE.
 */
export default async function setup(project: TestProject) {
  // Before any worker starts: the browser suites find Chromium installed or skip.
  await provisionChromium();
  const root = await mkdtemp(path.join(os.tmpdir(), 'orghub-test-'));
  const templateDir = path.join(root, 'template');
  const lite = await openPglite(path.join(templateDir, 'pg'));
  await lite.close();
  project.provide('pgliteTemplateDir', templateDir);

  let postgresTemplate = '';
  const url = testDatabaseUrl();
  if (url) {
    postgresTemplate = `orghub_tpl_${process.pid}`;
    const pool = adminPool(url);
    await pool.query(`DROP DATABASE IF EXISTS ${postgresTemplate}`);
    await pool.query(`CREATE DATABASE ${postgresTemplate}`);
    const db = await openPostgres(withDatabase(url, postgresTemplate), {
      poolSize: 2,
      statementTimeoutMs: 30_000,
    });
    await db.close();
    await pool.end();
  }
  project.provide('postgresTemplate', postgresTemplate);

  return async () => {
    await rm(root, { recursive: true, force: true });
    if (url) {
      const pool = adminPool(url);
      const { rows } = await pool.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'orghub_t%_${process.pid}%'`,
      );
      for (const r of rows) await pool.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`);
      await pool.end();
    }
  };
}
