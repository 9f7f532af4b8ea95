import { useEffect, useState } from 'react';
import type { PresentUser, User, WorkspaceSocket } from '@orghub/sdk';
import { client } from '../api.ts';

interface Props {
  orgId: string;
  groupId: string;
  me: User;
  ws: WorkspaceSocket | null;
  /** Starts (or opens) the DM with another user. */
  onMessage: (userId: string) => void;
}

/**
 * Who is online in the group: read once per (re)connection, then kept current by the
 * socket's `presence.join` / `presence.leave` events for this group.
 */
export function Online({ orgId, groupId, me, ws, onMessage }: Props) {
  const [users, setUsers] = useState<PresentUser[]>([]);
  useEffect(() => {
    setUsers([]);
    if (!ws) return;
    let current = true;
    const put = (u: PresentUser, here: boolean) =>
      setUsers((cur) => {
        const rest = cur.filter((x) => x.user_id !== u.user_id);
        return here ? [...rest, u].sort((a, b) => a.username.localeCompare(b.username)) : rest;
      });
    // Over the socket itself when it is up: the answer is ordered with its presence events.
    const load = () =>
      void (ws.state === 'open' ? ws.presence(groupId) : client.presence(orgId, groupId)).then(
        (list) => current && setUsers(list),
        () => undefined,
      );
    if (ws.state === 'open') load();
    const offs = [
      ws.on('connected', load),
      ws.on('presence.join', (e) => e.group_id === groupId && put(e, true)),
      ws.on('presence.leave', (e) => e.group_id === groupId && put(e, false)),
    ];
    return () => {
      current = false;
      offs.forEach((off) => off());
    };
  }, [ws, orgId, groupId]);

  return (
    <ul className="online" aria-label="Online">
      {users.map((u) => (
        <li key={u.user_id}>
          {u.user_id === me.id ? (
            <span>{u.username} (you)</span>
          ) : (
            <button
              aria-label={`Message ${u.username}`}
              title={`Message ${u.username}`}
              onClick={() => onMessage(u.user_id)}
            >
              {u.username}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
