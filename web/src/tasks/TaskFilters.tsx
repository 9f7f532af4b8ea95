import { useEffect, useState } from 'react';
import type { TaskListFilters, TaskPriority, TaskSort, TaskStatus, User } from '@orghub/sdk';
import { PRIORITIES, SORTS, STATUSES, label } from './task-order.ts';

interface Props {
  filters: TaskListFilters;
  users: User[];
  onChange: (f: TaskListFilters) => void;
}

/** A select whose empty choice means "no filter". */
function Choice(p: {
  label: string;
  any: string;
  value: string | undefined;
  options: [value: string, text: string][];
  onChange: (value: string) => void;
}) {
  return (
    <select aria-label={p.label} value={p.value ?? ''} onChange={(e) => p.onChange(e.target.value)}>
      <option value="">{p.any}</option>
      {p.options.map(([v, text]) => (
        <option key={v} value={v}>
          {text}
        </option>
      ))}
    </select>
  );
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
      <Choice
        label="Status filter"
        any="any status"
        value={filters.status?.[0]}
        options={STATUSES.map((x) => [x, label(x)])}
        onChange={(v) => pick('status', v ? [v as TaskStatus] : '')}
      />
      <Choice
        label="Priority filter"
        any="any priority"
        value={filters.priority?.[0]}
        options={PRIORITIES.map((x) => [x, x])}
        onChange={(v) => pick('priority', v ? [v as TaskPriority] : '')}
      />
      <Choice
        label="Assignee filter"
        any="any assignee"
        value={filters.user_id}
        options={users.map((u) => [u.id, u.username])}
        onChange={(v) => pick('user_id', v)}
      />
      <Choice
        label="Creator filter"
        any="any creator"
        value={filters.created_by}
        options={users.map((u) => [u.id, `by ${u.username}`])}
        onChange={(v) => pick('created_by', v)}
      />
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
