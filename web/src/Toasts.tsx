import { useEffect, useState } from 'react';
import type { GroupSocket, TaskReminderEvent } from '@orghub/sdk';

/** Reminder toasts: shown for 10 s, dismissable, announced to screen readers. */
export function Toasts({ socket }: { socket: GroupSocket | null }) {
  const [items, setItems] = useState<TaskReminderEvent[]>([]);

  useEffect(() => {
    if (!socket) return;
    return socket.on('task.reminder', (e) => {
      setItems((cur) => [...cur.filter((x) => x.id !== e.id), e]);
      setTimeout(() => setItems((cur) => cur.filter((x) => x.id !== e.id)), 10_000);
    });
  }, [socket]);

  return (
    <div className="toasts" role="status" aria-live="polite">
      {items.map((e) => (
        <div key={e.id} className="toast" data-testid="toast">
          <strong>Reminder</strong>
          <span>{e.task.title}</span>
          {e.task.due_date && <small>due {new Date(e.task.due_date).toLocaleString()}</small>}
          <button
            aria-label="Dismiss reminder"
            onClick={() => setItems((cur) => cur.filter((x) => x.id !== e.id))}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
