import { useEffect, useState } from 'react';
import type { WorkspaceSocket } from '@orghub/sdk';

/**
 * The server stops a typer about 5 s after their last frame and says so (`stopped`); this
 * only guards against a lost stop (typing events are the first dropped under backlog).
 */
const FALLBACK_EXPIRY_MS = 10_000;

/** Who else is typing in the group, in the order they started. */
export function useTyping(ws: WorkspaceSocket | null, groupId: string): string[] {
  const [typers, setTypers] = useState<{ id: string; name: string }[]>([]);
  useEffect(() => {
    setTypers([]);
    if (!ws) return;
    const timers = new Map<string, ReturnType<typeof setTimeout>>();
    const stop = (id: string) => {
      clearTimeout(timers.get(id));
      timers.delete(id);
      setTypers((cur) => cur.filter((t) => t.id !== id));
    };
    const offs = [
      ws.on('typing', (e) => {
        if (e.group_id !== groupId) return;
        if (e.stopped) return stop(e.user_id);
        clearTimeout(timers.get(e.user_id));
        timers.set(
          e.user_id,
          setTimeout(() => stop(e.user_id), FALLBACK_EXPIRY_MS),
        );
        setTypers((cur) =>
          cur.some((t) => t.id === e.user_id) ? cur : [...cur, { id: e.user_id, name: e.username }],
        );
      }),
      // Their message is what they were typing.
      ws.on('message', (m) => m.group_id === groupId && m.user_id && stop(m.user_id)),
      ws.on('disconnected', () => {
        for (const id of [...timers.keys()]) stop(id);
      }),
    ];
    return () => {
      offs.forEach((off) => off());
      timers.forEach((t) => clearTimeout(t));
    };
  }, [ws, groupId]);
  return typers.map((t) => t.name);
}

export function typingText(names: string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

export function TypingLine({ names }: { names: string[] }) {
  return (
    <p className="typing" aria-live="polite" data-testid="typing">
      {typingText(names)}
    </p>
  );
}
