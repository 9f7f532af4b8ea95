import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  PASSWORD,
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { skipSuite } from '../helpers/requires.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The README's screenshots are rewritten only on request, so test runs leave the tree clean. */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? `${ROOT}docs/screenshots`
  : path.join(os.tmpdir(), 'orghub-screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });
const FAILURES = path.join(os.tmpdir(), 'orghub-browser-failures');
mkdirSync(FAILURES, { recursive: true });
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Without Chromium the browser suites skip with one line. As root with apt-get,
 * test/global-setup.ts installs Debian's package first (never a downloaded browser).
 */
const CHROMIUM_HOW =
  'apt-get install chromium (Debian; npm test does it itself as root), or set CHROMIUM_PATH to a Chromium binary';
export const PHONE = { width: 390, height: 780 };

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
  name: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen on the page. */
  errors: string[];
}

export interface Suite {
  /** No Chromium here: the file's tests skip (the reason was printed once). */
  skip: boolean;
  t: TestApp;
  browser: Browser;
  orgId: string;
  alice: Fixture;
  bob: Fixture;
  /** A new browser context signed in as `username`, its socket open. */
  open(username: string, viewport?: { width: number; height: number }): Promise<UserPage>;
  /** A new browser context on the sign-in page, not signed in. */
  blank(name: string, viewport?: { width: number; height: number }): Promise<UserPage>;
}

/**
 * One server and one Chromium per test file, an org with alice (admin) and bob, and the
 * groups `general` and `random`. Every page a test opens is closed after it, and the test
 * fails if any of them logged a console error or threw.
 */
export function browserSuite(file: string): Suite {
  const opened: UserPage[] = [];
  const s = {} as Suite;
  s.skip = skipSuite(
    `browser suite (test/browser/${path.basename(fileURLToPath(file))})`,
    existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}`,
    CHROMIUM_HOW,
  );
  if (s.skip) return s;

  beforeAll(async () => {
    ensureWebBuilt();
    s.t = await startApp();
    s.orgId = (await createOrg(s.t, undefined, 'Acme')).id;
    s.alice = await createUser(s.t, s.orgId, { username: 'alice', role: 'admin' });
    s.bob = await createUser(s.t, s.orgId, { username: 'bob' });
    for (const [id, name] of [
      ['general', 'General'],
      ['random', 'Random'],
    ]) {
      await api(s.t, 'POST', `/api/v1/orgs/${s.orgId}/groups`, {
        token: s.alice.token,
        body: { id, name },
      });
    }
    s.browser = await launch();
  }, 120_000);

  afterEach(async (ctx) => {
    const pages = opened.splice(0);
    if (ctx.task.result?.state === 'fail') {
      // What each page showed when the test failed: its connection state and a screenshot.
      for (const [i, p] of pages.entries()) {
        const conn = await p.page
          .getByTestId('conn')
          .textContent({ timeout: 1000 })
          .catch(() => '-');
        const shot = path.join(FAILURES, `${ctx.task.name.slice(0, 40)}-${i}.png`);
        await p.page.screenshot({ path: shot }).catch(() => undefined);
        console.error(`${p.name}: connection ${conn}; errors ${JSON.stringify(p.errors)}; ${shot}`);
      }
    }
    const errors = pages.flatMap((p) => p.errors.map((e) => `${p.name}: ${e}`));
    await Promise.all(pages.map((p) => p.context.close()));
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await s.browser?.close();
    await s.t?.close();
  });

  s.blank = async (name, viewport = { width: 1280, height: 800 }) => {
    // Reduced motion: the app then slides nothing, so screenshots show settled screens.
    const context = await s.browser.newContext({
      viewport,
      baseURL: s.t.url,
      reducedMotion: 'reduce',
    });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const up: UserPage = { name, context, page, errors: [] };
    page.on('console', (m) => {
      if (m.type() === 'error') up.errors.push(m.text());
    });
    page.on('pageerror', (e) => up.errors.push(String(e)));
    opened.push(up);
    await page.goto('/');
    return up;
  };

  s.open = async (username, viewport) => {
    const up = await s.blank(username, viewport);
    const { page } = up;
    await page.getByLabel('Organization').fill(s.orgId);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('conn').getByText('open', { exact: true }).waitFor();
    return up;
  };

  return s;
}

/** The sidebar entry of a group or DM (`data-convo` is its id). */
export const convo = (page: Page, id: string) => page.locator(`[data-convo="${id}"]`);
/** The sidebar entry of the DM with `username`. */
export const dmWith = (page: Page, username: string) =>
  page
    .getByRole('list', { name: 'Direct messages' })
    .getByRole('button', { name: new RegExp(`^@ ${username}\\b`) });
/** The unread badge of a sidebar entry. */
export const badge = (entry: ReturnType<Page['locator']>) => entry.getByTestId('unread');

/** The message list of the open conversation. */
export const messages = (page: Page) => page.getByRole('list', { name: 'Messages', exact: true });

export async function send(page: Page, text: string) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.keyboard.press('Enter');
  await messages(page).getByText(text, { exact: true }).waitFor();
}
