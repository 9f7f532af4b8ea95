import { describe, expect, it } from 'vitest';
import { api } from '../helpers/app.js';
import { SCREENSHOTS, browserSuite } from './harness.js';

const s = browserSuite(import.meta.url);

describe.skipIf(s.skip)('tasks in Chromium', () => {
  it('a task made by one appears live on the other board, and its changes follow', async () => {
    const a = await s.open('alice');
    const b = await s.open('bob');
    for (const u of [a, b]) await u.page.getByRole('button', { name: 'Tasks' }).click();
    const board = b.page.getByRole('region', { name: 'pending' });
    await board.waitFor();

    await a.page.getByLabel('Task title').fill('Review the budget');
    await a.page.getByLabel('Task description').fill('numbers for Q3');
    await a.page.getByLabel('Assign to').selectOption({ label: 'bob' });
    await a.page.getByLabel('Task priority').selectOption('urgent');
    await a.page.getByLabel('Due date').fill('2031-03-14T09:30');
    await a.page.getByRole('button', { name: 'Add task' }).click();
    const card = board.getByRole('article', { name: 'Review the budget' });
    await card.waitFor();
    await expect.poll(() => card.getAttribute('class')).toContain('prio-urgent');
    await card.getByText('2031').waitFor();

    // Bob moves it; it changes column on his board (his own update) and the list agrees.
    await card.getByLabel('Status of Review the budget').selectOption('in_progress');
    await b.page
      .getByRole('region', { name: 'in progress' })
      .getByRole('article', { name: 'Review the budget' })
      .waitFor();
    await b.page.getByRole('button', { name: 'List' }).click();
    await b.page.getByRole('article', { name: 'Review the budget' }).waitFor();
    await b.page.getByRole('button', { name: 'Board' }).click();
    await b.page.screenshot({ path: `${SCREENSHOTS}/tasks-board.png` });
  });

  it('filters, searches and sorts through the server', async () => {
    for (const [title, priority] of [
      ['Order printer paper', 'low'],
      ['Fix the printer', 'high'],
      ['Plan the offsite', 'medium'],
    ]) {
      await api(s.t, 'POST', `/api/v1/users/${s.alice.user.id}/tasks`, {
        token: s.alice.token,
        body: { title, priority },
      });
    }
    const a = await s.open('alice');
    await a.page.getByRole('button', { name: 'Tasks' }).click();
    await a.page.getByRole('button', { name: 'List' }).click();
    const list = a.page.getByRole('region', { name: 'Task list' }).getByRole('article');
    await a.page.getByRole('article', { name: 'Plan the offsite' }).waitFor();

    await a.page.getByLabel('Search tasks').fill('printer');
    await expect.poll(() => list.count()).toBe(2);
    await a.page.getByLabel('Priority filter').selectOption('high');
    await expect.poll(() => list.allInnerTexts()).toHaveLength(1);
    expect(await list.first().getByRole('heading').textContent()).toBe('Fix the printer');

    await a.page.getByLabel('Priority filter').selectOption('');
    await a.page.getByLabel('Search tasks').fill('');
    await a.page.getByLabel('Sort').selectOption('-priority');
    await expect
      .poll(async () => (await list.getByRole('heading').allTextContents()).slice(0, 3).join('|'))
      .toMatch(/^Review the budget\|Fix the printer\|/);
  });

  it('a reminder and an org announcement show as toasts', async () => {
    const b = await s.open('bob');
    await b.page.getByRole('button', { name: 'Tasks' }).click();
    await api(s.t, 'POST', `/api/v1/users/${s.bob.user.id}/tasks`, {
      token: s.alice.token,
      body: {
        title: 'Call the bank',
        priority: 'high',
        due_date: new Date(Date.now() + 3_600_000).toISOString(),
        reminders: [{ at: new Date(Date.now() + 1500).toISOString() }],
      },
    });
    const toast = b.page.getByTestId('toast');
    await toast.getByText('Call the bank').waitFor({ timeout: 15_000 });
    await toast.getByText('Reminder').waitFor();
    await b.page.getByRole('article', { name: 'Call the bank' }).waitFor();
    await b.page.screenshot({ path: `${SCREENSHOTS}/reminder-toast.png` });
    await b.page.getByRole('button', { name: 'Dismiss reminder' }).click();
    await toast.waitFor({ state: 'detached' });

    // Org announcements arrive on the same socket and show the same way.
    await api(s.t, 'POST', `/api/v1/orgs/${s.orgId}/broadcast`, {
      token: s.alice.token,
      body: { content: 'Office closed on Friday' },
    });
    await toast.getByText('Office closed on Friday').waitFor();
    await toast.getByText('Announcement').waitFor();
  });
});
