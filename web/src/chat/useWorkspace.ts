import { useCallback, useEffect, useRef, useState } from 'react';
import type { User, WorkspaceSocket, WorkspaceState } from '@orghub/sdk';
import { client, errorText } from '../api.ts';
import { fromDm, fromGroup, mergeListing, type Conversation } from './conversations.ts';

/**
 * A safety net: the lists are read again this often while the tab is visible (and on focus
 * and reconnect). New DMs and groups arrive live (`dm.opened`, `group.added`); this only
 * covers what no event announces, such as a group renamed or an admin seeing a new private one.
 */
const RELIST_MS = 60_000;

export interface Workspace {
  /** The one socket of the signed-in user: every group and DM, task events, reminders. */
  ws: WorkspaceSocket | null;
  /** The socket's state, or `offline` while the browser says the network is gone. */
  state: WorkspaceState | 'offline';
  convos: ReadonlyMap<string, Conversation>;
  relist: () => Promise<void>;
  openDm: (userId: string) => Promise<Conversation>;
  /** The user has seen `seq` of the group: move the cursor (other devices get `read`). */
  markRead: (groupId: string, seq: number) => void;
}

type Seqs = Partial<Pick<Conversation, 'lastSeq' | 'lastReadSeq'>>;
/** Seqs only move forward, whatever order the socket and the listings arrive in. */
function bump(cur: Map<string, Conversation>, id: string, s: Seqs): Map<string, Conversation> {
  const c = cur.get(id);
  if (!c) return cur;
  const lastSeq = Math.max(c.lastSeq, s.lastSeq ?? 0);
  const lastReadSeq = Math.max(c.lastReadSeq, s.lastReadSeq ?? 0);
  if (lastSeq === c.lastSeq && lastReadSeq === c.lastReadSeq) return cur;
  return new Map(cur).set(id, { ...c, lastSeq, lastReadSeq });
}

export function useWorkspace(
  me: User,
  onError: (message: string) => void,
  onSessionEnded: () => void,
): Workspace {
  const [ws, setWs] = useState<WorkspaceSocket | null>(null);
  const [state, setState] = useState<WorkspaceState>('idle');
  const [online, setOnline] = useState(() => navigator.onLine);
  const [convos, setConvos] = useState<Map<string, Conversation>>(() => new Map());
  const convosRef = useRef(convos);
  convosRef.current = convos;
  const handlers = useRef({ onError, onSessionEnded });
  handlers.current = { onError, onSessionEnded };
  const orgId = me.org_id;

  // Listings are applied in the order they were asked for; the ids of the last one applied.
  const listings = useRef({ asked: 0, applied: 0, ids: new Set<string>() });

  const relistWith = useCallback(
    async (s: WorkspaceSocket) => {
      const l = listings.current;
      const mine = ++l.asked;
      try {
        const [groups, dms] = await Promise.all([client.listGroups(orgId), client.listDms(orgId)]);
        if (mine < l.applied) return;
        l.applied = mine;
        const listed = [...groups.map(fromGroup), ...dms.map(fromDm)];
        const previous = l.ids;
        l.ids = new Set(listed.map((c) => c.id));
        setConvos((cur) => mergeListing(cur, listed, previous));
        const subs = s.subscriptions;
        // New ones from their listed last seq: what came before counts as unread, the rest
        // arrives live (a replay covers the time between the listing and the subscribe).
        for (const c of listed)
          if (!subs.has(c.id)) s.subscribe(c.id, { sinceSeq: c.lastSeq }).catch(() => undefined);
        for (const id of subs.keys())
          if (previous.has(id) && !l.ids.has(id)) void s.unsubscribe(id);
      } catch (err) {
        // A background relist that fails is retried by the next one; only the first is news.
        if (l.applied === 0) handlers.current.onError(errorText(err));
      }
    },
    [orgId],
  );

  useEffect(() => {
    const s = client.workspace();
    const offs = [
      s.on('state', setState),
      s.on('message', (m) => setConvos((cur) => bump(cur, m.group_id, { lastSeq: m.seq }))),
      s.on('read', (e) => setConvos((cur) => bump(cur, e.group_id, { lastReadSeq: e.seq }))),
      // A DM opened with us, or a group we may now join: list again (and subscribe to it).
      s.on('dm.opened', () => void relistWith(s)),
      s.on('group.added', () => void relistWith(s)),
      // Back after a drop: counts and lists may have moved meanwhile.
      s.on('connected', (c) => c.reconnect && void relistWith(s)),
      s.on('unsubscribed', (e) => {
        const c = convosRef.current.get(e.group_id);
        if (e.reason === 'failed' && c) {
          s.subscribe(e.group_id, { sinceSeq: c.lastSeq }).catch(() => undefined);
        } else {
          setConvos((cur) => {
            const next = new Map(cur);
            next.delete(e.group_id);
            return next;
          });
        }
      }),
      s.on('error', (e) => {
        // Final only when the socket gave up (it also reports a refresh it will retry).
        if (e.type === 'client' && (e.code === 'session_ended' || e.code === 'unauthorized'))
          queueMicrotask(() => s.state === 'closed' && handlers.current.onSessionEnded());
        else if (e.type === 'error' && e.code !== 'not_found') handlers.current.onError(e.message);
      }),
    ];
    // Browsers keep a dead socket "open" for a long while after the network goes: close it
    // at once and resume (from each group's last seq) when the network is back.
    const wentOffline = () => {
      setOnline(false);
      s.close();
    };
    const cameBack = () => {
      setOnline(true);
      s.connect();
    };
    addEventListener('offline', wentOffline);
    addEventListener('online', cameBack);
    const refresh = () => {
      if (document.visibilityState === 'visible' && s.state === 'open') void relistWith(s);
    };
    const timer = setInterval(refresh, RELIST_MS);
    addEventListener('focus', refresh);
    setWs(s);
    setState(s.state);
    if (navigator.onLine) s.connect();
    void relistWith(s);
    return () => {
      offs.forEach((off) => off());
      removeEventListener('offline', wentOffline);
      removeEventListener('online', cameBack);
      removeEventListener('focus', refresh);
      clearInterval(timer);
      s.close();
      setWs(null);
    };
  }, [relistWith]);

  const relist = useCallback(async () => {
    if (ws) await relistWith(ws);
  }, [ws, relistWith]);

  const openDm = useCallback(
    async (userId: string) => {
      const dm = fromDm(await client.openDm(orgId, userId));
      setConvos((cur) => new Map(cur).set(dm.id, cur.get(dm.id) ?? dm));
      if (ws && !ws.subscriptions.has(dm.id))
        ws.subscribe(dm.id, { sinceSeq: dm.lastSeq }).catch(() => undefined);
      return dm;
    },
    [orgId, ws],
  );

  const markRead = useCallback(
    (groupId: string, seq: number) => {
      const c = convosRef.current.get(groupId);
      if (!c || seq <= c.lastReadSeq) return;
      setConvos((cur) => bump(cur, groupId, { lastReadSeq: seq }));
      const viaRest = () => client.markRead(orgId, groupId, seq).catch(() => undefined);
      if (ws?.state === 'open') ws.read(groupId, seq).catch(viaRest);
      else void viaRest();
    },
    [orgId, ws],
  );

  return { ws, state: online ? state : 'offline', convos, relist, openDm, markRead };
}
