import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PASSWORD, type TestApp } from '../helpers/app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The README's screenshots are rewritten only on request, so test runs leave the tree clean. */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? `${ROOT}docs/screenshots`
  : path.join(os.tmpdir(), 'orghub-screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Builds the web app once when `web/dist` is missing (the app only serves it if present at boot). */
export function ensureWebBuilt() {
  if (existsSync(`${ROOT}web/dist/index.html`)) return;
  execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

/** Debian's Chromium, never a downloaded browser. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface UserPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen on the page. */
  errors: string[];
}

export async function openAs(
  browser: Browser,
  t: TestApp,
  orgId: string,
  username: string,
  viewport = { width: 1280, height: 800 },
): Promise<UserPage> {
  const context = await browser.newContext({ viewport, baseURL: t.url });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByLabel('Organization').fill(orgId);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return { context, page, errors };
}
