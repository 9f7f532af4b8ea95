import type { Reminder, Task, TaskPriority, TaskStatus, TaskUpdate } from '@orghub/sdk';
import { PRIORITIES, STATUSES, label } from './task-order.ts';

interface Props {
  task: Task;
  assignee: string;
  onChange: (t: Task, patch: TaskUpdate) => void;
  onDelete: (t: Task) => void;
}

const when = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const reminderText = (r: Reminder) =>
  'at' in r ? when(r.at) : `${r.before_due_minutes} min before due`;

export function TaskCard({ task: t, assignee, onChange, onDelete }: Props) {
  const overdue =
    t.due_date !== null &&
    Date.parse(t.due_date) < Date.now() &&
    (t.status === 'pending' || t.status === 'in_progress');
  return (
    <article className={`task prio-${t.priority}`} data-testid="task" aria-label={t.title}>
      <h4>{t.title}</h4>
      {t.description && <p>{t.description}</p>}
      <dl>
        <dt>Assignee</dt>
        <dd>{assignee}</dd>
        {t.due_date && (
          <>
            <dt>Due</dt>
            <dd className={overdue ? 'overdue' : ''}>
              <time dateTime={t.due_date}>{when(t.due_date)}</time>
              {overdue && ' (overdue)'}
            </dd>
          </>
        )}
        {t.reminders.length > 0 && (
          <>
            <dt>Reminders</dt>
            <dd>
              <ul className="reminders">
                {t.reminders.map((r, i) => (
                  <li key={i}>{reminderText(r)}</li>
                ))}
              </ul>
            </dd>
          </>
        )}
      </dl>
      <div className="task-actions">
        <select
          aria-label={`Status of ${t.title}`}
          value={t.status}
          onChange={(e) => onChange(t, { status: e.target.value as TaskStatus })}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {label(s)}
            </option>
          ))}
        </select>
        <select
          aria-label={`Priority of ${t.title}`}
          className="prio"
          value={t.priority}
          onChange={(e) => onChange(t, { priority: e.target.value as TaskPriority })}
        >
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <button onClick={() => onDelete(t)} aria-label={`Delete ${t.title}`}>
          Delete
        </button>
      </div>
    </article>
  );
}
