import { useEffect, useState } from 'react';
import type { GroupSocket, Group, SocketState, User } from '@orghub/sdk';
import { client, currentUser, errorText, remember } from './api.ts';
import { SignIn } from './SignIn.tsx';
import { Sidebar } from './Sidebar.tsx';
import { Chat } from './Chat.tsx';
import { Tasks } from './tasks/Tasks.tsx';
import { Admin } from './Admin.tsx';
import { Toasts } from './Toasts.tsx';

type View = 'chat' | 'tasks' | 'admin';

function viewFromPath(): View {
  const p = location.pathname;
  return p.startsWith('/app/tasks') ? 'tasks' : p.startsWith('/app/admin') ? 'admin' : 'chat';
}

export function App() {
  const [user, setUser] = useState<User | null>(currentUser);
  const [view, setView] = useState<View>(viewFromPath);
  const [groups, setGroups] = useState<Group[]>([]);
  const [users, setUsers] = useState<User[]>([]);
  const [groupId, setGroupId] = useState<string | null>(null);
  const [socket, setSocket] = useState<GroupSocket | null>(null);
  const [sockState, setSockState] = useState<SocketState>('idle');
  const [menuOpen, setMenuOpen] = useState(false);
  const [error, setError] = useState('');

  const reloadGroups = async () => {
    if (!user) return;
    try {
      const gs = await client.listGroups(user.org_id);
      setGroups(gs);
      setGroupId((cur) => cur ?? gs[0]?.id ?? null);
    } catch (err) {
      setError(errorText(err));
    }
  };

  useEffect(() => {
    void reloadGroups();
    if (user) client.listUsers(user.org_id).then(setUsers, () => undefined);
  }, [user]);

  useEffect(() => {
    const onPop = () => setView(viewFromPath());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  useEffect(() => {
    if (!socket) return;
    setSockState(socket.state);
    return socket.on('state', setSockState);
  }, [socket]);

  const go = (v: View) => {
    setView(v);
    setMenuOpen(false);
    history.pushState(null, '', v === 'chat' ? '/app/chat' : `/app/${v}`);
  };

  const signOut = async () => {
    socket?.close();
    await client.logout().catch(() => undefined);
    remember(null);
    setUser(null);
  };

  if (!user) return <SignIn onSignedIn={setUser} />;

  return (
    <div className="shell">
      <header className="topbar">
        <button
          className="menu-btn"
          aria-label="Toggle groups"
          aria-expanded={menuOpen}
          onClick={() => setMenuOpen((o) => !o)}
        >
          ☰
        </button>
        <strong className="brand">OrgHub</strong>
        <span className="org">{user.org_id}</span>
        <nav aria-label="Main">
          <button aria-current={view === 'chat'} onClick={() => go('chat')}>
            Chat
          </button>
          <button aria-current={view === 'tasks'} onClick={() => go('tasks')}>
            Tasks
          </button>
          {user.role === 'admin' && (
            <button aria-current={view === 'admin'} onClick={() => go('admin')}>
              Admin
            </button>
          )}
        </nav>
        <span
          className={`conn conn-${sockState}`}
          title={`connection: ${sockState}`}
          data-testid="conn"
        >
          {sockState}
        </span>
        <span className="me">{user.username}</span>
        <button onClick={() => void signOut()}>Sign out</button>
      </header>
      {error && (
        <p role="alert" className="banner">
          {error} <button onClick={() => setError('')}>Dismiss</button>
        </p>
      )}
      <div className="body">
        <Sidebar
          open={menuOpen}
          groups={groups}
          current={groupId}
          onSelect={(id) => {
            setGroupId(id);
            go('chat');
          }}
          onCreated={() => void reloadGroups()}
          orgId={user.org_id}
        />
        <main className="main">
          {/* Chat stays mounted while another view shows: its socket carries the live task
              events, reminders and broadcasts those views need. */}
          {groupId ? (
            <Chat
              key={groupId}
              orgId={user.org_id}
              groupId={groupId}
              me={user}
              onSocket={setSocket}
              hidden={view !== 'chat'}
            />
          ) : (
            view === 'chat' && <p className="empty">No group yet: create one in the sidebar.</p>
          )}
          {view === 'tasks' && <Tasks me={user} users={users} live={socket} />}
          {view === 'admin' && (
            <Admin me={user} groups={groups} onGroupsChanged={() => void reloadGroups()} />
          )}
        </main>
      </div>
      <Toasts socket={socket} />
    </div>
  );
}
