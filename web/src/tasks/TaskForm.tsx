import { useState, type FormEvent } from 'react';
import type { Reminder, Task, TaskPriority, User } from '@orghub/sdk';
import { client, errorText } from '../api.ts';
import { PRIORITIES } from './task-order.ts';

interface Props {
  me: User;
  users: User[];
  onCreated: (t: Task) => void;
  onError: (e: string) => void;
}

export function TaskForm({ me, users, onCreated, onError }: Props) {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [assignee, setAssignee] = useState(me.id);
  const [priority, setPriority] = useState<TaskPriority>('medium');
  const [due, setDue] = useState('');
  const [remindAt, setRemindAt] = useState('');
  const [before, setBefore] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    const reminders: Reminder[] = [];
    if (remindAt) reminders.push({ at: new Date(remindAt).toISOString() });
    if (before && due) reminders.push({ before_due_minutes: Number(before) });
    try {
      const t = await client.createTask(assignee, {
        title: title.trim(),
        ...(description.trim() && { description: description.trim() }),
        priority,
        ...(due && { due_date: new Date(due).toISOString() }),
        ...(reminders.length > 0 && { reminders }),
      });
      setTitle('');
      setDescription('');
      setDue('');
      setRemindAt('');
      setBefore('');
      onCreated(t);
    } catch (err) {
      onError(errorText(err));
    }
  };

  return (
    <form className="task-form" onSubmit={(e) => void submit(e)} aria-label="New task">
      <input
        aria-label="Task title"
        placeholder="New task…"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        maxLength={500}
        required
      />
      <input
        aria-label="Task description"
        placeholder="Details (optional)"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        maxLength={10000}
      />
      <select aria-label="Assign to" value={assignee} onChange={(e) => setAssignee(e.target.value)}>
        {(users.length ? users : [me]).map((u) => (
          <option key={u.id} value={u.id}>
            {u.id === me.id ? 'me' : u.username}
          </option>
        ))}
      </select>
      <select
        aria-label="Task priority"
        value={priority}
        onChange={(e) => setPriority(e.target.value as TaskPriority)}
      >
        {PRIORITIES.map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
      <label>
        Due{' '}
        <input
          type="datetime-local"
          aria-label="Due date"
          value={due}
          onChange={(e) => setDue(e.target.value)}
        />
      </label>
      <label>
        Remind at{' '}
        <input
          type="datetime-local"
          aria-label="Remind at"
          value={remindAt}
          onChange={(e) => setRemindAt(e.target.value)}
        />
      </label>
      <label>
        or min before due{' '}
        <input
          type="number"
          aria-label="Minutes before due"
          min={0}
          className="short"
          value={before}
          onChange={(e) => setBefore(e.target.value)}
        />
      </label>
      <button type="submit">Add task</button>
    </form>
  );
}
