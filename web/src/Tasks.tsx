import { useCallback, useEffect, useState } from 'react';
import type {
  GroupSocket,
  Task,
  TaskListFilters,
  TaskPriority,
  TaskSort,
  TaskStatus,
  User,
} from '@orghub/sdk';
import { client, errorText } from './api.ts';
import { TaskForm } from './TaskForm.tsx';

export const STATUSES: TaskStatus[] = ['pending', 'in_progress', 'completed', 'cancelled'];
export const PRIORITIES: TaskPriority[] = ['low', 'medium', 'high', 'urgent'];
const SORTS: TaskSort[] = [
  '-created_at',
  'created_at',
  'due_date',
  '-due_date',
  '-priority',
  'priority',
  '-updated_at',
];
const label = (s: string) => s.replace('_', ' ');

export function Tasks({ me, socket }: { me: User; socket: GroupSocket | null }) {
  const [mode, setMode] = useState<'board' | 'list'>('board');
  const [tasks, setTasks] = useState<Task[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [users, setUsers] = useState<User[]>([]);
  const [filters, setFilters] = useState<TaskListFilters>({ sort: '-created_at', limit: 50 });
  const [error, setError] = useState('');

  const load = useCallback(async () => {
    try {
      const page = await client.listTasks(me.org_id, filters);
      setTasks(page.tasks);
      setCursor(page.next_cursor);
      setError('');
    } catch (err) {
      setError(errorText(err));
    }
  }, [me.org_id, filters]);

  useEffect(() => void load(), [load]);
  useEffect(() => {
    client.listUsers(me.org_id).then(setUsers, () => undefined);
  }, [me.org_id]);

  // Live updates: patch the visible list in place.
  useEffect(() => {
    if (!socket) return;
    const upsert = (t: Task) => setTasks((cur) => [t, ...cur.filter((x) => x.id !== t.id)]);
    const offs = [
      socket.on('task.created', (e) => upsert(e.task)),
      socket.on('task.updated', (e) => upsert(e.task)),
      socket.on('task.deleted', (e) => setTasks((cur) => cur.filter((x) => x.id !== e.task.id))),
    ];
    return () => offs.forEach((off) => off());
  }, [socket]);

  const more = async () => {
    if (!cursor) return;
    try {
      const page = await client.listTasks(me.org_id, { ...filters, cursor });
      setTasks((cur) => [...cur, ...page.tasks.filter((t) => !cur.some((c) => c.id === t.id))]);
      setCursor(page.next_cursor);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const setStatus = async (t: Task, status: TaskStatus) => {
    try {
      const u = await client.updateTask(t.id, { status }, t.version);
      setTasks((cur) => cur.map((x) => (x.id === u.id ? u : x)));
    } catch (err) {
      setError(errorText(err));
      void load();
    }
  };

  const remove = async (t: Task) => {
    try {
      await client.deleteTask(t.id);
      setTasks((cur) => cur.filter((x) => x.id !== t.id));
    } catch (err) {
      setError(errorText(err));
    }
  };

  const userName = (id: string) => users.find((u) => u.id === id)?.username ?? '…';
  const card = (t: Task) => (
    <article key={t.id} className={`task prio-${t.priority}`} data-testid="task">
      <h4>{t.title}</h4>
      {t.description && <p>{t.description}</p>}
      <dl>
        <dt>Priority</dt>
        <dd className="prio">{t.priority}</dd>
        <dt>Assignee</dt>
        <dd>{userName(t.user_id)}</dd>
        {t.due_date && (
          <>
            <dt>Due</dt>
            <dd
              className={
                new Date(t.due_date) < new Date() && t.status !== 'completed' ? 'overdue' : ''
              }
            >
              <time dateTime={t.due_date}>{new Date(t.due_date).toLocaleString()}</time>
            </dd>
          </>
        )}
        {t.reminders.length > 0 && (
          <>
            <dt>Reminders</dt>
            <dd>{t.reminders.length}</dd>
          </>
        )}
      </dl>
      <div className="task-actions">
        <label>
          <span className="sr-only">Status of {t.title}</span>
          <select
            value={t.status}
            onChange={(e) => void setStatus(t, e.target.value as TaskStatus)}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </label>
        <button onClick={() => void remove(t)} aria-label={`Delete ${t.title}`}>
          Delete
        </button>
      </div>
    </article>
  );

  const pick = <K extends keyof TaskListFilters>(k: K, v: TaskListFilters[K]) =>
    setFilters((f) => ({ ...f, [k]: v || undefined }));

  return (
    <section className="tasks" aria-label="Tasks">
      <div className="tasks-head">
        <h2>Tasks</h2>
        <div role="tablist" aria-label="View">
          <button role="tab" aria-selected={mode === 'board'} onClick={() => setMode('board')}>
            Board
          </button>
          <button role="tab" aria-selected={mode === 'list'} onClick={() => setMode('list')}>
            List
          </button>
        </div>
      </div>
      <TaskForm
        me={me}
        users={users}
        onCreated={(t) => setTasks((cur) => [t, ...cur.filter((x) => x.id !== t.id)])}
        onError={setError}
      />
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <input
          type="search"
          placeholder="Search"
          aria-label="Search"
          onChange={(e) => pick('q', e.target.value)}
        />
        <select
          aria-label="Status"
          onChange={(e) =>
            pick('status', e.target.value ? [e.target.value as TaskStatus] : undefined)
          }
        >
          <option value="">any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {label(s)}
            </option>
          ))}
        </select>
        <select
          aria-label="Priority"
          onChange={(e) =>
            pick('priority', e.target.value ? [e.target.value as TaskPriority] : undefined)
          }
        >
          <option value="">any priority</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <select aria-label="Assignee" onChange={(e) => pick('user_id', e.target.value)}>
          <option value="">anyone</option>
          {users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.username}
            </option>
          ))}
        </select>
        <select
          aria-label="Sort"
          value={filters.sort}
          onChange={(e) => pick('sort', e.target.value as TaskSort)}
        >
          {SORTS.map((s) => (
            <option key={s} value={s}>
              {s.startsWith('-') ? `${label(s.slice(1))} ↓` : `${label(s)} ↑`}
            </option>
          ))}
        </select>
        <label className="check">
          <input type="checkbox" onChange={(e) => pick('overdue', e.target.checked)} /> overdue
        </label>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {mode === 'board' ? (
        <div className="board">
          {STATUSES.map((s) => (
            <section key={s} className="column" aria-label={label(s)} data-status={s}>
              <h3>
                {label(s)}{' '}
                <span className="count">{tasks.filter((t) => t.status === s).length}</span>
              </h3>
              {tasks.filter((t) => t.status === s).map(card)}
            </section>
          ))}
        </div>
      ) : (
        <div className="list">{tasks.map(card)}</div>
      )}
      {cursor && <button onClick={() => void more()}>Load more</button>}
    </section>
  );
}
