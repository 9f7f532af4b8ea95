import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Baseline (a): a bare `ws` server that relays each text frame, verbatim, to every socket in
 * its room (the sender included, as OrgHub echoes to the sender). The room is the URL path.
 * One socket write per message per member: the practical ceiling of a plain Node.js relay.
 */
const rooms = new Map<string, Set<WebSocket>>();
const http = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 64 * 1024 });

wss.on('connection', (ws, req) => {
  const room = new URL(req.url ?? '/', 'http://x').pathname;
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(ws);
  ws.on('error', () => ws.terminate());
  ws.on('close', () => members.delete(ws));
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    for (const peer of members) peer.send(data, { binary: false });
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = http.address();
  process.stdout.write(`READY ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
// The runner holds our stdin: when it goes away, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
