import { describe, expect, it } from 'vitest';
import { SCREENSHOTS, badge, browserSuite, convo, dmWith, messages, send } from './harness.js';

const s = browserSuite(import.meta.url);

describe.skipIf(s.skip)(
  'chat in Chromium: presence, typing, offline, DMs and unread counts',
  () => {
    it('two users chat live and see each other online and typing', async () => {
      const a = await s.open('alice');
      const b = await s.open('bob');
      await a.page.getByRole('list', { name: 'Online' }).getByText('bob').waitFor();
      await b.page.getByRole('list', { name: 'Online' }).getByText('alice').waitFor();

      await send(a.page, 'live hello');
      await messages(b.page).getByText('live hello').waitFor();

      // Typing shows on the other side, and goes with the message it announced. Keys come at a
      // person's pace: the SDK sends at most one typing frame a second.
      const typing = b.page.getByTestId('typing');
      const composer = a.page.getByLabel('Message', { exact: true });
      await composer.pressSequentially('are you there?', { delay: 100 });
      await typing.getByText('alice is typing…').waitFor();
      await b.page.screenshot({ path: `${SCREENSHOTS}/chat-desktop.png` });
      expect(await a.page.getByTestId('typing').textContent()).toBe('');
      await a.page.keyboard.press('Enter');
      await messages(b.page).getByText('are you there?').waitFor();
      await typing.getByText('alice is typing…').waitFor({ state: 'detached' });

      // Typing without sending: the server's stop (5 s after the last frame) clears it, before
      // the page's own fallback (10 s after the last event) would.
      await composer.pressSequentially('hmm, let me check', { delay: 100 });
      const typedAt = Date.now();
      await typing.getByText('alice is typing…').waitFor();
      await typing.getByText('alice is typing…').waitFor({ state: 'detached', timeout: 12_000 });
      expect(Date.now() - typedAt).toBeLessThan(8_000);
    });

    it('one goes offline, misses messages, and on return sees each exactly once', async () => {
      const a = await s.open('alice');
      const b = await s.open('bob');
      await a.page.getByRole('list', { name: 'Online' }).getByText('bob').waitFor();

      // The page closes its socket on the browser's `offline` event (an emulated offline alone
      // would leave an open WebSocket working), so what follows can only come by the resume.
      await b.context.setOffline(true);
      await b.page.getByTestId('conn').getByText('offline').waitFor();
      await b.page.getByText('Offline: missed messages will arrive').waitFor();
      await send(a.page, 'missed one');
      await send(a.page, 'missed two');
      const list = messages(b.page);
      expect(await list.getByText(/^missed /).count()).toBe(0);

      await b.context.setOffline(false);
      await b.page.getByTestId('conn').getByText('open', { exact: true }).waitFor();
      await list.getByText('missed two').waitFor();
      expect(await list.getByText('missed one', { exact: true }).count()).toBe(1);
      expect(await list.getByText('missed two', { exact: true }).count()).toBe(1);
      await send(b.page, 'back again');
      await messages(a.page).getByText('back again').waitFor();
    });

    it('counts unread live in groups not open, and reading goes to the other device', async () => {
      const a = await s.open('alice');
      const b1 = await s.open('bob');
      const b2 = await s.open('bob');
      await convo(a.page, 'random').click();
      await send(a.page, 'over in random');
      await send(a.page, 'still in random');
      for (const b of [b1, b2]) await badge(convo(b.page, 'random')).getByText('2').waitFor();

      await convo(b1.page, 'random').click();
      await messages(b1.page).getByText('still in random').waitFor();
      expect(await badge(convo(b1.page, 'random')).count()).toBe(0);
      // The read frame of b1 reaches b2 as a `read` event.
      await badge(convo(b2.page, 'random')).waitFor({ state: 'detached' });
    });

    it('starts a DM from the Online list; the other sees it with an unread count that reading clears', async () => {
      const a = await s.open('alice');
      const b1 = await s.open('bob');
      const b2 = await s.open('bob');
      await a.page
        .getByRole('list', { name: 'Online' })
        .getByRole('button', { name: 'Message bob' })
        .click();
      await a.page.getByRole('heading', { name: '@ bob' }).waitFor();
      await send(a.page, 'psst, a private word');
      await send(a.page, 'and another');

      // A DM opened by someone else shows up live (dm.opened; the page's own relisting is only
      // every 60 s, beyond this wait), with its unread count.
      for (const b of [b1, b2])
        await badge(dmWith(b.page, 'alice')).getByText('2').waitFor({ timeout: 15_000 });
      await b1.page.screenshot({ path: `${SCREENSHOTS}/unread.png` });
      await dmWith(b1.page, 'alice').click();
      await messages(b1.page).getByText('and another').waitFor();
      await badge(dmWith(b2.page, 'alice')).waitFor({ state: 'detached' });

      // Live both ways, and a new message in the DM counts again on the device not reading it.
      await send(b1.page, 'got it');
      await messages(a.page).getByText('got it').waitFor();
      await send(a.page, 'one more');
      await messages(b1.page).getByText('one more').waitFor();
      expect(await badge(dmWith(b1.page, 'alice')).count()).toBe(0);

      // The sidebar opens the same DM (it is one conversation whoever starts it).
      await b2.page.getByLabel('Message someone').selectOption({ label: 'alice' });
      await b2.page.getByRole('button', { name: 'Message', exact: true }).click();
      await b2.page.getByRole('heading', { name: '@ alice' }).waitFor();
      await messages(b2.page).getByText('one more').waitFor();
      expect(
        await b2.page.getByRole('list', { name: 'Direct messages' }).getByRole('listitem').count(),
      ).toBe(1);
    });
  },
);
