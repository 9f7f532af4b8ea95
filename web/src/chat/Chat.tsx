import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { MessageEvent, User, WorkspaceSocket } from '@orghub/sdk';
import { client, errorText } from '../api.ts';
import type { Conversation } from './conversations.ts';
import type { Workspace } from './useWorkspace.ts';
import { Online } from './Online.tsx';
import { TypingLine, useTyping } from './Typing.tsx';

interface Props {
  convo: Conversation;
  me: User;
  ws: WorkspaceSocket | null;
  state: Workspace['state'];
  markRead: (groupId: string, seq: number) => void;
  onMessageUser: (userId: string) => void;
}

const PAGE = 50;

/** Messages sorted by seq, without duplicates (history pages and live events overlap). */
function merge(a: MessageEvent[], b: MessageEvent[]): MessageEvent[] {
  const byId = new Map(a.map((m) => [m.id, m]));
  for (const m of b) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => x.seq - y.seq);
}

const connectionNotice: Partial<Record<Workspace['state'], string>> = {
  reconnecting: 'Reconnecting…',
  offline: 'Offline: missed messages will arrive when the network is back.',
  closed: 'Disconnected: sign in again to get live messages.',
};

const visible = () => document.visibilityState === 'visible';

export function Chat({ convo, me, ws, state, markRead, onMessageUser }: Props) {
  const groupId = convo.id;
  const [messages, setMessages] = useState<MessageEvent[]>([]);
  const [pending, setPending] = useState<{ key: number; content: string }[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [gap, setGap] = useState(false);
  const listRef = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const loadingOlder = useRef(false);
  const sendCount = useRef(0);
  const typers = useTyping(ws, groupId);

  /** A page of history, newest first: over the socket when it is up, else over REST. */
  const page = useCallback(
    async (beforeSeq?: number): Promise<MessageEvent[]> =>
      ws?.state === 'open'
        ? ws.history(groupId, { limit: PAGE, ...(beforeSeq !== undefined && { beforeSeq }) })
        : (
            await client.messages(me.org_id, groupId, {
              limit: PAGE,
              ...(beforeSeq !== undefined && { before_seq: beforeSeq }),
            })
          ).messages,
    [ws, groupId, me.org_id],
  );

  useEffect(() => {
    setMessages([]);
    setGap(false);
    stick.current = true;
    if (!ws) return;
    let current = true;
    // Live first, then the newest page: whatever arrives in between is merged, not lost.
    const offs = [
      ws.on('message', (m) => m.group_id === groupId && setMessages((cur) => merge(cur, [m]))),
      ws.on('recovered', (r) => r.group_id === groupId && setGap(!r.recovered)),
    ];
    page().then(
      (msgs) => {
        if (!current) return;
        setMessages((cur) => merge(cur, msgs));
        setHasMore(msgs.length === PAGE);
        setLoaded(true);
      },
      (err: unknown) => current && setError(errorText(err)),
    );
    return () => {
      current = false;
      offs.forEach((off) => off());
    };
    // Not on `page`: the first page is read once per group and socket.
  }, [ws, groupId]);

  // What is on screen in a visible tab has been read.
  const newest = messages.at(-1)?.seq;
  useEffect(() => {
    if (newest === undefined) return;
    const mark = () => visible() && markRead(groupId, newest);
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [groupId, newest, markRead]);

  useEffect(() => {
    const el = listRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages, pending]);

  const loadOlder = async () => {
    const el = listRef.current;
    const oldest = messages[0]?.seq;
    if (!el || !hasMore || loadingOlder.current || oldest === undefined) return;
    loadingOlder.current = true;
    const before = el.scrollHeight;
    try {
      const older = await page(oldest);
      setHasMore(older.length === PAGE);
      setMessages((cur) => merge(cur, older));
      // Keep the reader's place after prepending older messages.
      requestAnimationFrame(() => (el.scrollTop = el.scrollHeight - before + el.scrollTop));
    } catch (err) {
      setError(errorText(err));
    } finally {
      loadingOlder.current = false;
    }
  };

  const onScroll = () => {
    const el = listRef.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 60) void loadOlder();
  };

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const content = text.trim();
    if (!content || !ws) return;
    if (ws.state === 'closed') {
      setError('You are offline: the message was not sent.');
      return;
    }
    const key = ++sendCount.current;
    setText('');
    setPending((cur) => [...cur, { key, content }]);
    stick.current = true;
    try {
      // Queued while reconnecting and re-sent with the same client_msg_id: stored once.
      const m = await ws.publish(groupId, content);
      setMessages((cur) => merge(cur, [m]));
    } catch (err) {
      setText(content);
      setError(errorText(err));
    } finally {
      setPending((cur) => cur.filter((p) => p.key !== key));
    }
  };

  const title = convo.kind === 'dm' ? `@ ${convo.name}` : `# ${convo.name}`;
  return (
    <section className="chat" aria-label={`Conversation ${convo.name}`}>
      <header className="chat-head">
        <h2 className="chat-title">{title}</h2>
        <Online orgId={me.org_id} groupId={groupId} me={me} ws={ws} onMessage={onMessageUser} />
      </header>
      {connectionNotice[state] && (
        <p className="notice" role="status">
          {connectionNotice[state]}
        </p>
      )}
      {gap && (
        <p className="notice" role="status">
          Some messages from while you were away are no longer stored.
        </p>
      )}
      <ol className="messages" ref={listRef} onScroll={onScroll} tabIndex={0} aria-label="Messages">
        {hasMore && (
          <li className="older">
            <button onClick={() => void loadOlder()}>Load older messages</button>
          </li>
        )}
        {loaded && messages.length === 0 && pending.length === 0 && (
          <li className="older">No messages yet.</li>
        )}
        {messages.map((m) => (
          <li key={m.id} className={m.user_id === me.id ? 'mine' : ''} data-seq={m.seq}>
            <span className="who">{m.username}</span>
            <time dateTime={m.timestamp}>{new Date(m.timestamp).toLocaleTimeString()}</time>
            <p>{m.content}</p>
          </li>
        ))}
        {pending.map((p) => (
          <li key={`p${p.key}`} className="mine pending" aria-label="Sending">
            <span className="who">{me.username}</span>
            <time>sending…</time>
            <p>{p.content}</p>
          </li>
        ))}
      </ol>
      <TypingLine names={typers} />
      {error && (
        <p role="alert" className="error">
          {error} <button onClick={() => setError('')}>Dismiss</button>
        </p>
      )}
      <form className="composer" onSubmit={(e) => void send(e)}>
        <label className="sr-only" htmlFor="composer">
          Message
        </label>
        <input
          id="composer"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            // Throttled by the SDK to the server's rate; others see it stop ~5 s after.
            if (e.target.value.trim()) ws?.typing(groupId);
          }}
          placeholder={`Message ${title}`}
          maxLength={4000}
          autoComplete="off"
        />
        <button type="submit">Send</button>
      </form>
    </section>
  );
}
