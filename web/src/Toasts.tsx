import { useEffect, useState } from 'react';
import type { WorkspaceSocket } from '@orghub/sdk';

interface Toast {
  id: string;
  kind: 'Reminder' | 'Announcement';
  text: string;
  detail?: string;
}

const SHOW_MS = 10_000;

/** Reminders and org announcements: shown for 10 s, dismissable, announced to screen readers. */
export function Toasts({ ws }: { ws: WorkspaceSocket | null }) {
  const [items, setItems] = useState<Toast[]>([]);

  useEffect(() => {
    if (!ws) return;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const show = (t: Toast) => {
      setItems((cur) => [...cur.filter((x) => x.id !== t.id), t]);
      const timer = setTimeout(() => {
        timers.delete(timer);
        setItems((cur) => cur.filter((x) => x.id !== t.id));
      }, SHOW_MS);
      timers.add(timer);
    };
    const offs = [
      ws.on('task.reminder', (e) =>
        show({
          id: e.id,
          kind: 'Reminder',
          text: e.task.title,
          ...(e.task.due_date && { detail: `due ${new Date(e.task.due_date).toLocaleString()}` }),
        }),
      ),
      ws.on('broadcast', (e) => show({ id: e.id, kind: 'Announcement', text: e.content })),
    ];
    return () => {
      offs.forEach((off) => off());
      timers.forEach((t) => clearTimeout(t));
    };
  }, [ws]);

  return (
    <div className="toasts" role="status" aria-live="polite">
      {items.map((t) => (
        <div key={t.id} className="toast" data-testid="toast">
          <strong>{t.kind}</strong>
          <span>{t.text}</span>
          {t.detail && <small>{t.detail}</small>}
          <button
            aria-label={`Dismiss ${t.kind.toLowerCase()}`}
            onClick={() => setItems((cur) => cur.filter((x) => x.id !== t.id))}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
