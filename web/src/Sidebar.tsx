import { useState, type FormEvent } from 'react';
import type { Group } from '@orghub/sdk';
import { client, errorText } from './api.ts';

interface Props {
  open: boolean;
  groups: Group[];
  current: string | null;
  orgId: string;
  onSelect: (id: string) => void;
  onCreated: () => void;
}

export function Sidebar({ open, groups, current, orgId, onSelect, onCreated }: Props) {
  const [name, setName] = useState('');
  const [error, setError] = useState('');

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const id = name
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, 64);
    if (!id) return;
    try {
      await client.createGroup(orgId, { id, name: name.trim() });
      setName('');
      setError('');
      onCreated();
      onSelect(id);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <aside className={`sidebar ${open ? 'open' : ''}`} aria-label="Groups">
      <h2>Groups</h2>
      <ul>
        {groups.map((g) => (
          <li key={g.id}>
            <button aria-current={g.id === current} onClick={() => onSelect(g.id)}>
              <span># {g.name}</span>
              {g.private && <span aria-label="private"> 🔒</span>}
              {(g.unread_count ?? 0) > 0 && <span className="badge">{g.unread_count}</span>}
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={(e) => void create(e)} className="new-group">
        <label>
          New group
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="name"
            maxLength={200}
          />
        </label>
        <button type="submit">Create</button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </aside>
  );
}
