import { useState, type FormEvent } from 'react';
import type { User } from '@orghub/sdk';
import { client, errorText } from '../api.ts';
import { sorted, unread, type Conversation } from './conversations.ts';

interface Props {
  open: boolean;
  me: User;
  users: User[];
  convos: ReadonlyMap<string, Conversation>;
  current: string | null;
  onSelect: (id: string) => void;
  onGroupCreated: (id: string) => void;
  onMessageUser: (userId: string) => void;
}

function Item({
  c,
  current,
  onSelect,
}: {
  c: Conversation;
  current: boolean;
  onSelect: () => void;
}) {
  const n = unread(c);
  return (
    <li>
      <button aria-current={current} onClick={onSelect} data-convo={c.id}>
        <span className="name">
          {c.kind === 'dm' ? '@ ' : '# '}
          {c.name}
          {c.kind === 'group' && c.private && <span className="tag">private</span>}
        </span>
        {n > 0 && (
          <span className="badge" data-testid="unread" aria-label={`${n} unread`}>
            {n}
          </span>
        )}
      </button>
    </li>
  );
}

/** Groups and direct messages with unread counts; new groups and DMs start here. */
export function Sidebar(p: Props) {
  const [name, setName] = useState('');
  const [dmUser, setDmUser] = useState('');
  const [error, setError] = useState('');

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const id = name
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[-_]+/, '')
      .slice(0, 64);
    if (!id) return;
    try {
      await client.createGroup(p.me.org_id, { id, name: name.trim() });
      setName('');
      setError('');
      p.onGroupCreated(id);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const startDm = (e: FormEvent) => {
    e.preventDefault();
    if (!dmUser) return;
    p.onMessageUser(dmUser);
    setDmUser('');
  };

  const list = (kind: Conversation['kind']) =>
    sorted(p.convos.values(), kind).map((c) => (
      <Item key={c.id} c={c} current={c.id === p.current} onSelect={() => p.onSelect(c.id)} />
    ));
  const others = p.users.filter((u) => u.id !== p.me.id);

  return (
    <aside className={`sidebar ${p.open ? 'open' : ''}`} id="sidebar" aria-label="Conversations">
      <h2 id="groups-h">Groups</h2>
      <ul aria-labelledby="groups-h">{list('group')}</ul>
      <h2 id="dms-h">Direct messages</h2>
      <ul aria-labelledby="dms-h">{list('dm')}</ul>
      <form onSubmit={startDm} className="side-form" aria-label="New direct message">
        <select
          aria-label="Message someone"
          value={dmUser}
          onChange={(e) => setDmUser(e.target.value)}
        >
          <option value="">someone…</option>
          {others.map((u) => (
            <option key={u.id} value={u.id}>
              {u.username}
            </option>
          ))}
        </select>
        <button type="submit" disabled={!dmUser}>
          Message
        </button>
      </form>
      <form onSubmit={(e) => void create(e)} className="side-form" aria-label="Create a group">
        <input
          aria-label="Name of the new group"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="new group…"
          maxLength={200}
        />
        <button type="submit">Create</button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </aside>
  );
}
