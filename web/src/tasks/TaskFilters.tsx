import { useEffect, useState } from 'react';
import type { TaskListFilters, TaskPriority, TaskSort, TaskStatus, User } from '@orghub/sdk';
import { PRIORITIES, SORTS, STATUSES, label } from './task-order.ts';

interface Props {
  filters: TaskListFilters;
  users: User[];
  onChange: (f: TaskListFilters) => void;
}

/** A `datetime-local` value (local time) as the RFC 3339 instant the contract wants. */
const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** The contract's filters on `GET /orgs/{orgId}/tasks`; search waits for a pause in typing. */
export function TaskFilters({ filters, users, onChange }: Props) {
  const [q, setQ] = useState(filters.q ?? '');
  useEffect(() => {
    if ((filters.q ?? '') === q.trim()) return;
    const timer = setTimeout(() => onChange({ ...filters, q: q.trim() || undefined }), 250);
    return () => clearTimeout(timer);
  }, [q, filters, onChange]);

  const pick = <K extends keyof TaskListFilters>(k: K, v: TaskListFilters[K] | '' | false) =>
    onChange({ ...filters, [k]: v || undefined });

  return (
    <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
      <input
        type="search"
        placeholder="Search tasks"
        aria-label="Search tasks"
        value={q}
        onChange={(e) => setQ(e.target.value)}
      />
      <select
        aria-label="Status filter"
        value={filters.status?.[0] ?? ''}
        onChange={(e) => pick('status', e.target.value ? [e.target.value as TaskStatus] : '')}
      >
        <option value="">any status</option>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {label(s)}
          </option>
        ))}
      </select>
      <select
        aria-label="Priority filter"
        value={filters.priority?.[0] ?? ''}
        onChange={(e) => pick('priority', e.target.value ? [e.target.value as TaskPriority] : '')}
      >
        <option value="">any priority</option>
        {PRIORITIES.map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
      <select
        aria-label="Assignee filter"
        value={filters.user_id ?? ''}
        onChange={(e) => pick('user_id', e.target.value)}
      >
        <option value="">any assignee</option>
        {users.map((u) => (
          <option key={u.id} value={u.id}>
            {u.username}
          </option>
        ))}
      </select>
      <select
        aria-label="Creator filter"
        value={filters.created_by ?? ''}
        onChange={(e) => pick('created_by', e.target.value)}
      >
        <option value="">any creator</option>
        {users.map((u) => (
          <option key={u.id} value={u.id}>
            by {u.username}
          </option>
        ))}
      </select>
      <label className="check">
        due after
        <input
          type="datetime-local"
          aria-label="Due after"
          onChange={(e) => pick('due_after', instant(e.target.value))}
        />
      </label>
      <label className="check">
        due before
        <input
          type="datetime-local"
          aria-label="Due before"
          onChange={(e) => pick('due_before', instant(e.target.value))}
        />
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={filters.overdue ?? false}
          onChange={(e) => pick('overdue', e.target.checked)}
        />
        overdue
      </label>
      <select
        aria-label="Sort"
        value={filters.sort ?? ''}
        onChange={(e) => pick('sort', e.target.value as TaskSort)}
      >
        {filters.q && <option value="">relevance</option>}
        {SORTS.map((s) => (
          <option key={s} value={s}>
            {s.startsWith('-') ? `${label(s.slice(1))} ↓` : `${label(s)} ↑`}
          </option>
        ))}
      </select>
    </form>
  );
}
