import { useCallback, useEffect, useRef, useState } from 'react';
import type { Task, TaskListFilters, TaskUpdate, User, WorkspaceSocket } from '@orghub/sdk';
import { client, errorText } from '../api.ts';
import { TaskForm } from './TaskForm.tsx';
import { TaskCard } from './TaskCard.tsx';
import { TaskFilters } from './TaskFilters.tsx';
import { STATUSES, label, matches, sortTasks } from './task-order.ts';

interface Props {
  me: User;
  users: User[];
  live: WorkspaceSocket | null;
}

/** The org's tasks as a board by status or a list, filtered by the server, kept live. */
export function Tasks({ me, users, live }: Props) {
  const [mode, setMode] = useState<'board' | 'list'>('board');
  const [tasks, setTasks] = useState<Task[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [filters, setFilters] = useState<TaskListFilters>({ sort: '-created_at', limit: 50 });
  const [error, setError] = useState('');
  // Answers to superseded requests (typing in the search box) must not overwrite newer ones.
  const generation = useRef(0);

  const load = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const page = await client.listTasks(me.org_id, filters);
      if (mine !== generation.current) return;
      setTasks(page.tasks);
      setCursor(page.next_cursor);
      setError('');
    } catch (err) {
      if (mine === generation.current) setError(errorText(err));
    }
  }, [me.org_id, filters]);

  useEffect(() => void load(), [load]);

  const put = useCallback(
    (t: Task) =>
      setTasks((cur) => {
        const rest = cur.filter((x) => x.id !== t.id);
        return matches(t, filters) ? sortTasks([...rest, t], filters.sort) : rest;
      }),
    [filters],
  );

  useEffect(() => {
    if (!live) return;
    // The server ranks full-text matches; with a search active, ask it again.
    const onTask = (t: Task) => (filters.q ? void load() : put(t));
    const offs = [
      live.on('task.created', (e) => onTask(e.task)),
      live.on('task.updated', (e) => onTask(e.task)),
      live.on('task.deleted', (e) => setTasks((cur) => cur.filter((x) => x.id !== e.task.id))),
      // Events missed while disconnected are not replayed: reload on every reconnect.
      live.on('connected', (c) => c.reconnect && void load()),
    ];
    return () => offs.forEach((off) => off());
  }, [live, put, load, filters.q]);

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

  const change = async (t: Task, patch: TaskUpdate) => {
    try {
      put(await client.updateTask(t.id, patch, t.version));
      setError('');
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
    <TaskCard
      key={t.id}
      task={t}
      assignee={userName(t.user_id)}
      onChange={(x, p) => void change(x, p)}
      onDelete={(x) => void remove(x)}
    />
  );

  return (
    <section className="tasks" aria-label="Tasks">
      <div className="tasks-head">
        <h2>Tasks</h2>
        <div role="group" aria-label="View" className="segmented">
          <button aria-pressed={mode === 'board'} onClick={() => setMode('board')}>
            Board
          </button>
          <button aria-pressed={mode === 'list'} onClick={() => setMode('list')}>
            List
          </button>
        </div>
      </div>
      <TaskForm me={me} users={users} onCreated={put} onError={setError} />
      <TaskFilters filters={filters} users={users} onChange={setFilters} />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {mode === 'board' ? (
        <div className="board">
          {STATUSES.map((s) => {
            const col = tasks.filter((t) => t.status === s);
            return (
              <section key={s} className="column" aria-label={label(s)} data-status={s}>
                <h3>
                  {label(s)} <span className="count">{col.length}</span>
                </h3>
                {col.map(card)}
              </section>
            );
          })}
        </div>
      ) : (
        <section className="list" aria-label="Task list">
          {tasks.length === 0 && <p className="empty">No task matches.</p>}
          {tasks.map(card)}
        </section>
      )}
      {cursor && (
        <button className="more" onClick={() => void more()}>
          Load more
        </button>
      )}
    </section>
  );
}
