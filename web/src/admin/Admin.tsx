import { useEffect, useState, type FormEvent } from 'react';
import type { Group, Role, User } from '@orghub/sdk';
import { client, errorText } from '../api.ts';

interface Props {
  me: User;
  /** Users or groups changed: the rest of the app lists them again. */
  onChanged: () => void;
}

/** Users (create, role, delete) and groups (create, add or remove a member) of the org. */
export function Admin({ me, onChanged }: Props) {
  const [users, setUsers] = useState<User[]>([]);
  const [groups, setGroups] = useState<Group[]>([]);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState('');
  const [form, setForm] = useState({
    username: '',
    email: '',
    password: '',
    role: 'member' as Role,
  });
  const [group, setGroup] = useState({ id: '', name: '', private: false });
  const [member, setMember] = useState({ group: '', user: '' });

  const reload = () =>
    Promise.all([client.listUsers(me.org_id), client.listGroups(me.org_id)]).then(
      ([u, g]) => {
        setUsers(u);
        setGroups(g);
      },
      (e: unknown) => setError(errorText(e)),
    );
  useEffect(() => {
    void reload();
  }, [me.org_id]);

  const act = async (f: () => Promise<unknown>, done = '') => {
    try {
      await f();
      setError('');
      setNotice(done);
      onChanged();
    } catch (err) {
      setError(errorText(err));
      setNotice('');
    }
  };

  const createUser = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      await client.createUser({ ...form, org_id: me.org_id });
      setForm({ username: '', email: '', password: '', role: 'member' });
      await reload();
    }, `User ${form.username} created.`);
  };
  const createGroup = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      await client.createGroup(me.org_id, group);
      setGroup({ id: '', name: '', private: false });
      await reload();
    }, `Group ${group.id} created.`);
  };
  const addMember = (e: FormEvent) => {
    e.preventDefault();
    void act(() => client.addMember(me.org_id, member.group, member.user), 'Member added.');
  };
  const removeMember = () =>
    void act(() => client.removeMember(me.org_id, member.group, member.user), 'Member removed.');

  return (
    <section className="admin" aria-label="Administration">
      <h2>Administration</h2>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {notice && (
        <p role="status" className="ok">
          {notice}
        </p>
      )}
      <div className="admin-grid">
        <section>
          <h3>Users</h3>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Username</th>
                  <th>Email</th>
                  <th>Role</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.id}>
                    <td>{u.username}</td>
                    <td>{u.email}</td>
                    <td>
                      <select
                        aria-label={`Role of ${u.username}`}
                        value={u.role}
                        disabled={u.id === me.id}
                        onChange={(e) =>
                          void act(async () => {
                            await client.updateUser(u.id, { role: e.target.value as Role });
                            await reload();
                          })
                        }
                      >
                        <option value="member">member</option>
                        <option value="admin">admin</option>
                      </select>
                    </td>
                    <td>
                      {u.id !== me.id && (
                        <button
                          onClick={() =>
                            void act(async () => {
                              await client.deleteUser(u.id);
                              await reload();
                            })
                          }
                          aria-label={`Delete ${u.username}`}
                        >
                          Delete
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <form onSubmit={createUser} className="stack" aria-label="New user">
            <h4>New user</h4>
            <input
              aria-label="Username"
              placeholder="username"
              value={form.username}
              onChange={(e) => setForm({ ...form, username: e.target.value })}
              required
            />
            <input
              aria-label="Email"
              type="email"
              placeholder="email"
              value={form.email}
              onChange={(e) => setForm({ ...form, email: e.target.value })}
              required
            />
            <input
              aria-label="Password"
              type="password"
              placeholder="password (8+)"
              minLength={8}
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
              required
            />
            <select
              aria-label="Role"
              value={form.role}
              onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
            >
              <option value="member">member</option>
              <option value="admin">admin</option>
            </select>
            <button type="submit">Create user</button>
          </form>
        </section>
        <section>
          <h3>Groups</h3>
          <ul className="plain">
            {groups.map((g) => (
              <li key={g.id}>
                #{g.id} — {g.name} {g.private ? '(private)' : ''}
              </li>
            ))}
          </ul>
          <form onSubmit={createGroup} className="stack" aria-label="New group">
            <h4>New group</h4>
            <input
              aria-label="Group id"
              placeholder="id (e.g. eng)"
              pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,63}"
              value={group.id}
              onChange={(e) => setGroup({ ...group, id: e.target.value })}
              required
            />
            <input
              aria-label="Group name"
              placeholder="name"
              value={group.name}
              onChange={(e) => setGroup({ ...group, name: e.target.value })}
              required
            />
            <label className="check">
              <input
                type="checkbox"
                checked={group.private}
                onChange={(e) => setGroup({ ...group, private: e.target.checked })}
              />{' '}
              private
            </label>
            <button type="submit">Create group</button>
          </form>
          <form onSubmit={addMember} className="stack" aria-label="Add member">
            <h4>Members of private groups</h4>
            <select
              aria-label="Group"
              value={member.group}
              onChange={(e) => setMember({ ...member, group: e.target.value })}
              required
            >
              <option value="">group…</option>
              {groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
            <select
              aria-label="User"
              value={member.user}
              onChange={(e) => setMember({ ...member, user: e.target.value })}
              required
            >
              <option value="">user…</option>
              {users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.username}
                </option>
              ))}
            </select>
            <div className="row">
              <button type="submit">Add member</button>
              <button type="button" onClick={removeMember} disabled={!member.group || !member.user}>
                Remove member
              </button>
            </div>
          </form>
        </section>
      </div>
    </section>
  );
}
