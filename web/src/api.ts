import { OrgHubClient, type StoredSession, type User } from '@orghub/sdk';

const KEY = 'orghub.session';

/** The app's one SDK client; the session survives reloads in sessionStorage (per tab). */
function load(): { session: StoredSession | null; user: User | null } {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw
      ? (JSON.parse(raw) as { session: StoredSession; user: User })
      : { session: null, user: null };
  } catch {
    return { session: null, user: null };
  }
}

const saved = load();
export const client = new OrgHubClient({ session: saved.session });
export let currentUser: User | null = saved.user;

export function remember(user: User | null) {
  currentUser = user;
  const s = client.session.current;
  if (user && s) sessionStorage.setItem(KEY, JSON.stringify({ session: s, user }));
  else sessionStorage.removeItem(KEY);
}

client.session.onChange((s) => {
  if (s && currentUser)
    sessionStorage.setItem(KEY, JSON.stringify({ session: s, user: currentUser }));
  if (!s) sessionStorage.removeItem(KEY);
});

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
