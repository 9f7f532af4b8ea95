import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD, api } from '../helpers/app.js';
import { PHONE, SCREENSHOTS, browserSuite, convo, messages, send } from './harness.js';

const s = browserSuite(import.meta.url);

/** Nothing wider than the viewport: no sideways scrolling. */
const overflow = (page: Page) =>
  page.evaluate<number>(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );

describe.skipIf(s.skip)('the web app in Chromium: keyboard, history, admin, phone', () => {
  it('signs in with the keyboard alone, pages history on scroll up, sends with Enter', async () => {
    for (let i = 1; i <= 60; i++) {
      await api(s.t, 'POST', `/api/v1/orgs/${s.orgId}/groups/general/broadcast`, {
        token: i % 2 ? s.alice.token : s.bob.token,
        body: { content: `history message ${i}` },
      });
    }
    const a = await s.blank('alice');
    const { page } = a;
    // React renders the form after the load event: keys pressed before it would go nowhere.
    await page.getByLabel('Organization').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.type(s.orgId);
    await page.keyboard.press('Tab');
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByTestId('conn').getByText('open', { exact: true }).waitFor();

    // Focus is visible wherever Tab takes it.
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      const outline = await page.evaluate<string>(
        '`${document.activeElement.tagName} ${getComputedStyle(document.activeElement).outlineStyle}`',
      );
      expect(outline).not.toMatch(/ none$/);
    }

    const list = messages(page);
    await list.getByText('history message 60').waitFor();
    // The first page holds the newest 50; scrolling up loads the rest.
    expect(await list.getByText('history message 10', { exact: true }).count()).toBe(0);
    await list.evaluate((el) => (el.scrollTop = 0));
    await list.getByText('history message 10', { exact: true }).waitFor();
    await list.getByText('history message 1', { exact: true }).waitFor();

    await page.getByLabel('Message', { exact: true }).focus();
    await page.keyboard.type('hello from the keyboard');
    await page.keyboard.press('Enter');
    await list.getByText('hello from the keyboard').waitFor();
    expect(await page.getByLabel('Message', { exact: true }).inputValue()).toBe('');
  });

  it('keeps the session across a reload and signs out to the sign-in form', async () => {
    const b = await s.open('bob');
    await send(b.page, 'before the reload');
    await b.page.reload();
    await b.page.getByTestId('conn').getByText('open', { exact: true }).waitFor();
    await messages(b.page).getByText('before the reload').waitFor();
    await b.page.getByRole('button', { name: 'Sign out' }).click();
    await b.page.getByRole('heading', { name: 'Sign in to OrgHub' }).waitFor();
    await b.page.reload();
    await b.page.getByRole('heading', { name: 'Sign in to OrgHub' }).waitFor();
    // The org is remembered for the next sign-in.
    expect(await b.page.getByLabel('Organization').inputValue()).toBe(s.orgId);
  });

  it('admin page: creates a user and a group, changes membership', async () => {
    const a = await s.open('alice');
    await a.page.getByRole('button', { name: 'Admin' }).click();
    await a.page.getByRole('cell', { name: 'bob', exact: true }).waitFor();
    const newUser = a.page.getByRole('form', { name: 'New user' });
    await newUser.getByLabel('Username').fill('carol');
    await newUser.getByLabel('Email').fill('carol@example.com');
    await newUser.getByLabel('Password').fill(PASSWORD);
    await newUser.getByRole('button', { name: 'Create user' }).click();
    await a.page.getByRole('cell', { name: 'carol', exact: true }).waitFor();

    const newGroup = a.page.getByRole('form', { name: 'New group' });
    await newGroup.getByLabel('Group id').fill('secret');
    await newGroup.getByLabel('Group name').fill('Secret');
    await newGroup.getByLabel('private').check();
    await newGroup.getByRole('button', { name: 'Create group' }).click();
    await a.page.getByText('Group secret created.').waitFor();
    // The new group shows in the sidebar of its creator straight away.
    await convo(a.page, 'secret').waitFor();

    const members = a.page.getByRole('form', { name: 'Add member' });
    await members.getByLabel('Group').selectOption('secret');
    await members.getByLabel('User').selectOption({ label: 'bob' });
    await members.getByRole('button', { name: 'Add member' }).click();
    await a.page.getByText('Member added.').waitFor();
    await a.page.screenshot({ path: `${SCREENSHOTS}/admin.png` });
    const bob = await s.open('bob');
    await convo(bob.page, 'secret').waitFor();
  });

  it('on a phone the sidebar folds behind a toggle and nothing scrolls sideways', async () => {
    const b = await s.open('bob', PHONE);
    const { page } = b;
    const sidebar = page.getByRole('complementary', { name: 'Conversations' });
    await messages(page).getByText('history message 60').waitFor();
    expect(await sidebar.isVisible()).toBe(false);
    expect(await overflow(page)).toBe(0);
    await send(page, 'typed on a phone');
    await page.screenshot({ path: `${SCREENSHOTS}/chat-phone.png` });

    const toggle = page.getByRole('button', { name: 'Toggle conversations' });
    await toggle.click();
    await convo(page, 'random').waitFor({ state: 'visible' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await page.screenshot({ path: `${SCREENSHOTS}/sidebar-phone.png` });
    await page.keyboard.press('Escape');
    await sidebar.waitFor({ state: 'hidden' });
    expect(await page.evaluate<string>("document.activeElement.getAttribute('aria-label')")).toBe(
      'Toggle conversations',
    );

    await toggle.click();
    await convo(page, 'random').click();
    await page.getByRole('heading', { name: '# Random' }).waitFor();
    await sidebar.waitFor({ state: 'hidden' });

    for (const view of ['Tasks', 'Chat']) {
      await page.getByRole('button', { name: view, exact: true }).click();
      expect(await overflow(page)).toBe(0);
    }
  });
});
