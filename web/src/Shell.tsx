import { useCallback, useEffect, useRef, useState } from 'react';
import type { User } from '@orghub/sdk';
import { client, errorText, remember } from './api.ts';
import { useWorkspace } from './chat/useWorkspace.ts';
import { sorted, unread } from './chat/conversations.ts';
import { Sidebar } from './chat/Sidebar.tsx';
import { Chat } from './chat/Chat.tsx';
import { Tasks } from './tasks/Tasks.tsx';
import { Admin } from './admin/Admin.tsx';
import { Toasts } from './Toasts.tsx';

type View = 'chat' | 'tasks' | 'admin';

function viewFromPath(): View {
  const p = location.pathname;
  return p.startsWith('/app/tasks') ? 'tasks' : p.startsWith('/app/admin') ? 'admin' : 'chat';
}

/** The signed-in app: top bar, sidebar of conversations, and the chat, tasks or admin view. */
export function Shell({ user, onSignedOut }: { user: User; onSignedOut: () => void }) {
  const [view, setView] = useState<View>(viewFromPath);
  const [current, setCurrent] = useState<string | null>(null);
  const [users, setUsers] = useState<User[]>([]);
  const [menuOpen, setMenuOpen] = useState(false);
  const [error, setError] = useState('');
  const menuBtn = useRef<HTMLButtonElement>(null);

  const endSession = useCallback(() => {
    remember(null);
    onSignedOut();
  }, [onSignedOut]);
  const work = useWorkspace(user, setError, endSession);
  const { ws, state, convos, relist, openDm, markRead } = work;

  const loadUsers = useCallback(
    () => client.listUsers(user.org_id).then(setUsers, (e: unknown) => setError(errorText(e))),
    [user.org_id],
  );
  useEffect(() => void loadUsers(), [loadUsers]);

  // The first group until the user picks one; another one if the current one goes away.
  useEffect(() => {
    if (current && convos.has(current)) return;
    const first = sorted(convos.values(), 'group')[0] ?? sorted(convos.values(), 'dm')[0];
    const id = first?.id ?? null;
    if (id !== current) setCurrent(id);
  }, [convos, current]);

  const total = [...convos.values()].reduce((n, c) => n + unread(c), 0);
  useEffect(() => {
    document.title = total > 0 ? `(${total}) OrgHub` : 'OrgHub';
  }, [total]);

  useEffect(() => {
    const onPop = () => setView(viewFromPath());
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setMenuOpen((open) => {
        if (open) menuBtn.current?.focus();
        return false;
      });
    };
    addEventListener('popstate', onPop);
    addEventListener('keydown', onKey);
    return () => {
      removeEventListener('popstate', onPop);
      removeEventListener('keydown', onKey);
    };
  }, []);

  const go = (v: View) => {
    setView(v);
    setMenuOpen(false);
    history.pushState(null, '', `/app/${v}`);
  };
  const select = (id: string) => {
    setCurrent(id);
    go('chat');
  };
  const messageUser = (userId: string) =>
    void openDm(userId).then(
      (dm) => select(dm.id),
      (e: unknown) => setError(errorText(e)),
    );

  const signOut = async () => {
    ws?.close();
    await client.logout().catch(() => undefined);
    endSession();
  };

  const convo = current ? convos.get(current) : undefined;
  return (
    <div className="shell">
      <header className="topbar">
        <button
          ref={menuBtn}
          className="menu-btn"
          aria-label="Toggle conversations"
          aria-controls="sidebar"
          aria-expanded={menuOpen}
          onClick={() => setMenuOpen((o) => !o)}
        >
          ☰{total > 0 && <span className="badge">{total}</span>}
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
        <span className={`conn conn-${state}`} title={`connection: ${state}`} data-testid="conn">
          {state}
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
          me={user}
          users={users}
          convos={convos}
          current={view === 'chat' ? current : null}
          onSelect={select}
          onGroupCreated={(id) => void relist().then(() => select(id))}
          onMessageUser={messageUser}
        />
        <main className="main">
          {view === 'chat' &&
            (convo ? (
              <Chat
                key={convo.id}
                convo={convo}
                me={user}
                ws={ws}
                state={state}
                markRead={markRead}
                onMessageUser={messageUser}
              />
            ) : (
              <p className="empty">No conversation yet: create a group in the sidebar.</p>
            ))}
          {view === 'tasks' && <Tasks me={user} users={users} live={ws} />}
          {view === 'admin' && (
            <Admin
              me={user}
              onChanged={() => {
                void loadUsers();
                void relist();
              }}
            />
          )}
        </main>
      </div>
      <Toasts ws={ws} />
    </div>
  );
}
