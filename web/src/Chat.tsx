import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { GroupSocket, MessageEvent, User } from '@orghub/sdk';
import { client, errorText } from './api.ts';
import { Online } from './Online.tsx';

interface Props {
  orgId: string;
  groupId: string;
  me: User;
  onSocket: (s: GroupSocket | null) => void;
  /** Kept mounted (and connected) while another view is shown. */
  hidden?: boolean;
}

const PAGE = 50;

/** Messages sorted by seq, without duplicates (history pages and live events overlap). */
function merge(a: MessageEvent[], b: MessageEvent[]): MessageEvent[] {
  const byId = new Map(a.map((m) => [m.id, m]));
  for (const m of b) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => x.seq - y.seq);
}

export function Chat({ orgId, groupId, me, onSocket, hidden = false }: Props) {
  const [messages, setMessages] = useState<MessageEvent[]>([]);
  const [hasMore, setHasMore] = useState(true);
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const listRef = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const loadingOlder = useRef(false);
  const sockRef = useRef<GroupSocket | null>(null);
  const [live, setLive] = useState<GroupSocket | null>(null);

  useEffect(() => {
    let socket: GroupSocket | null = null;
    let cancelled = false;
    void (async () => {
      try {
        const page = await client.messages(orgId, groupId, { limit: PAGE });
        if (cancelled) return;
        const initial = [...page.messages].reverse();
        setMessages(initial);
        setHasMore(page.count === PAGE);
        // Resume from the newest message of the history page: no gap, no duplicate.
        socket = client.group(orgId, groupId, {
          clientId: 'web',
          sinceSeq: initial.at(-1)?.seq ?? 0,
        });
        socket.on('message', (m) => setMessages((cur) => merge(cur, [m])));
        socket.on('recovered', (r) =>
          setNotice(r.recovered ? '' : 'Some older messages could not be recovered.'),
        );
        socket.on('disconnected', (d) =>
          setNotice(d.willReconnect ? 'Reconnecting…' : 'Disconnected.'),
        );
        socket.on('connected', () => setNotice(''));
        socket.on('error', (e) => {
          if (e.code !== 'refused') setError(e.message);
          else setNotice('Live updates are unavailable.');
        });
        setLive(socket);
        socket.connect();
        sockRef.current = socket;
        onSocket(socket);
      } catch (err) {
        setError(errorText(err));
      }
    })();
    return () => {
      cancelled = true;
      socket?.close();
      onSocket(null);
    };
  }, [orgId, groupId, onSocket]);

  useEffect(() => {
    const el = listRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages]);

  const loadOlder = async () => {
    const el = listRef.current;
    const oldest = messages[0]?.seq;
    if (!el || !hasMore || loadingOlder.current || oldest === undefined) return;
    loadingOlder.current = true;
    const before = el.scrollHeight;
    try {
      const page = await client.messages(orgId, groupId, { limit: PAGE, before_seq: oldest });
      setHasMore(page.count === PAGE);
      setMessages((cur) => merge(cur, page.messages));
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
    if (!content) return;
    setText('');
    stick.current = true;
    try {
      // Over the socket when it is open (idempotent re-sends across reconnects), else REST.
      const s = sockRef.current;
      const m =
        s?.state === 'open'
          ? await s.send(content)
          : (await client.postMessage(orgId, groupId, { content, client_id: 'web' })).message;
      setMessages((cur) => merge(cur, [m]));
    } catch (err) {
      setText(content);
      setError(errorText(err));
    }
  };

  return (
    <section className="chat" aria-label={`Group ${groupId}`} hidden={hidden}>
      <header className="chat-head">
        <h2 className="chat-title"># {groupId}</h2>
        <Online orgId={orgId} groupId={groupId} socket={live} />
      </header>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <ol
        className="messages"
        ref={listRef}
        onScroll={onScroll}
        tabIndex={0}
        aria-label="Messages"
        aria-live="polite"
      >
        {hasMore && messages.length > 0 && (
          <li className="older">
            <button onClick={() => void loadOlder()}>Load older messages</button>
          </li>
        )}
        {messages.map((m) => (
          <li key={m.id} className={m.user_id === me.id ? 'mine' : ''} data-seq={m.seq}>
            <span className="who">{m.username}</span>
            <time dateTime={m.timestamp}>{new Date(m.timestamp).toLocaleTimeString()}</time>
            <p>{m.content}</p>
          </li>
        ))}
      </ol>
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
          onChange={(e) => setText(e.target.value)}
          placeholder={`Message #${groupId}`}
          maxLength={4000}
          autoComplete="off"
        />
        <button type="submit">Send</button>
      </form>
    </section>
  );
}
