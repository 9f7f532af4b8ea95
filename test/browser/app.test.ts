import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { SCREENSHOTS, ensureWebBuilt, launch, openAs } from './harness.js';

let t: TestApp;
let browser: Browser;
let orgId: string;
let alice: Fixture;
let bob: Fixture;

beforeAll(async () => {
  ensureWebBuilt();
  t = await startApp();
  orgId = (await createOrg(t, undefined, 'Acme')).id;
  alice = await createUser(t, orgId, { username: 'alice', role: 'admin' });
  bob = await createUser(t, orgId, { username: 'bob' });
  await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
    token: alice.token,
    body: { id: 'general', name: 'General' },
  });
  await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
    token: alice.token,
    body: { id: 'random', name: 'Random' },
  });
  for (let i = 1; i <= 60; i++) {
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups/general/broadcast`, {
      token: i % 2 ? alice.token : bob.token,
      body: { content: `history message ${i}` },
    });
  }
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('web app in Chromium', () => {
  it('signs in, pages history on scroll, sends, and renders on desktop and phone', async () => {
    const a = await openAs(browser, t, orgId, 'alice');
    const { page } = a;
    await page
      .getByRole('button', { name: /General/ })
      .first()
      .waitFor();
    const list = page.getByRole('list', { name: 'Messages' });
    await list.getByText('history message 60').waitFor();
    // The first page holds the newest 50; scrolling up loads the rest.
    expect(await list.getByText('history message 10', { exact: true }).count()).toBe(0);
    await list.evaluate((el) => (el.scrollTop = 0));
    await list.getByText('history message 10', { exact: true }).waitFor();
    await page.getByLabel('Message', { exact: true }).fill('hello from the browser');
    await page.keyboard.press('Enter');
    await list.getByText('hello from the browser').waitFor();
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.screenshot({ path: `${SCREENSHOTS}/chat-desktop.png` });
    await page.getByRole('button', { name: 'Admin' }).click();
    await page.getByRole('cell', { name: 'bob', exact: true }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/admin.png` });
    {
      await page.getByRole('button', { name: 'Tasks' }).click();
      await page.getByLabel('Task title').fill('Write the quarterly report');
      await page.getByLabel('Task priority').selectOption('high');
      await page.getByRole('button', { name: 'Add task' }).click();
      await page.getByRole('heading', { name: 'Write the quarterly report' }).waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}/tasks-board.png` });
    }
    const phone = await openAs(browser, t, orgId, 'bob', { width: 390, height: 780 });
    await phone.page
      .getByRole('list', { name: 'Messages' })
      .getByText('hello from the browser')
      .waitFor();
    await phone.page.screenshot({ path: `${SCREENSHOTS}/chat-phone.png` });
    await phone.page.getByRole('button', { name: 'Toggle groups' }).click();
    await phone.page.getByRole('button', { name: /Random/ }).waitFor({ state: 'visible' });
    await phone.page.screenshot({ path: `${SCREENSHOTS}/sidebar-phone.png` });
    expect(a.errors).toEqual([]);
    expect(phone.errors).toEqual([]);
    await a.context.close();
    await phone.context.close();
  }, 90_000);

  it('two users chat live; one goes offline and sees what it missed on return', async () => {
    const a = await openAs(browser, t, orgId, 'alice');
    const b = await openAs(browser, t, orgId, 'bob');
    await b.page.getByTestId('conn').getByText('open').waitFor();
    // Presence: each sees the other online.
    await a.page.getByRole('list', { name: 'Online' }).getByText('bob').waitFor();
    await b.page.getByRole('list', { name: 'Online' }).getByText('alice').waitFor();
    await a.page.getByLabel('Message', { exact: true }).fill('live hello');
    await a.page.keyboard.press('Enter');
    await b.page.getByRole('list', { name: 'Messages' }).getByText('live hello').waitFor();
    await b.context.setOffline(true);
    for (const m of ['missed one', 'missed two']) {
      await api(t, 'POST', `/api/v1/orgs/${orgId}/groups/general/broadcast`, {
        token: alice.token,
        body: { content: m },
      });
    }
    await b.context.setOffline(false);
    const list = b.page.getByRole('list', { name: 'Messages' });
    await list.getByText('missed two').waitFor({ timeout: 20_000 });
    expect(await list.getByText('missed one').count()).toBe(1);
    await a.context.close();
    await b.context.close();
  });

  it('a task made by one appears live on the other board, and a reminder toast shows', async () => {
    const b = await openAs(browser, t, orgId, 'bob');
    await b.page.getByTestId('conn').getByText('open').waitFor();
    await b.page.getByRole('button', { name: 'Tasks' }).click();
    const soon = new Date(Date.now() + 1500).toISOString();
    await api(t, 'POST', `/api/v1/users/${bob.user.id}/tasks`, {
      token: alice.token,
      body: { title: 'Review the budget', priority: 'urgent', reminders: [{ at: soon }] },
    });
    await b.page
      .getByRole('region', { name: 'pending' })
      .getByRole('heading', { name: 'Review the budget' })
      .waitFor();
    await b.page.getByTestId('toast').getByText('Review the budget').waitFor({ timeout: 15_000 });
    await b.page.screenshot({ path: `${SCREENSHOTS}/reminder-toast.png` });
    await b.context.close();
  });
});
