import { useEffect, useState } from 'react';
import type { GroupSocket, PresentUser } from '@orghub/sdk';
import { client } from './api.ts';

/**
 * Who is online in the group: read once per (re)connection, then kept current by the
 * `presence.join` / `presence.leave` events of the group's socket.
 */
export function Online({
  orgId,
  groupId,
  socket,
}: {
  orgId: string;
  groupId: string;
  socket: GroupSocket | null;
}) {
  const [users, setUsers] = useState<PresentUser[]>([]);
  useEffect(() => {
    if (!socket) return;
    const put = (u: PresentUser, here: boolean) =>
      setUsers((cur) => {
        const rest = cur.filter((x) => x.user_id !== u.user_id);
        return here ? [...rest, u].sort((a, b) => a.username.localeCompare(b.username)) : rest;
      });
    const load = () => void client.presence(orgId, groupId).then(setUsers, () => undefined);
    if (socket.state === 'open') load();
    const offs = [
      socket.on('connected', load),
      socket.on('presence.join', (e) => put(e, true)),
      socket.on('presence.leave', (e) => put(e, false)),
    ];
    return () => offs.forEach((off) => off());
  }, [socket, orgId, groupId]);

  return (
    <ul className="online" aria-label="Online">
      {users.map((u) => (
        <li key={u.user_id}>{u.username}</li>
      ))}
    </ul>
  );
}
