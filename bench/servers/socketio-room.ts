import { createServer } from 'node:http';
import { Server } from 'socket.io';

/**
 * Baseline (b): Socket.IO 4 with one room per `room` query value, WebSocket transport only
 * (no long-polling upgrade dance). Each `msg` is emitted to the whole room, sender included.
 */
const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  perMessageDeflate: false,
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
});

io.on('connection', (socket) => {
  const q = socket.handshake.query.room;
  const room = typeof q === 'string' ? q : 'room';
  void socket.join(room);
  socket.on('msg', (content: unknown) => {
    if (typeof content === 'string') io.to(room).emit('msg', content);
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = http.address();
  process.stdout.write(`READY ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
// The runner holds our stdin: when it goes away, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
