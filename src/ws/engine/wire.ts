import type { Socket } from 'node:net';

/**
 * A complete server-to-client text frame (FIN, opcode 1, unmasked: RFC 6455 §5.2) around
 * bytes that are already UTF-8. Built once per broadcast and written as is to every socket,
 * so fan-out costs one `write` per recipient and no per-recipient header or copy.
 */
export function textFrame(data: Buffer): Buffer {
  const n = data.length;
  const headLen = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headLen + n);
  out[0] = 0x81;
  if (n < 126) {
    out[1] = n;
  } else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(n, 6);
  }
  data.copy(out, headLen);
  return out;
}

// Sockets written to in this turn of the event loop, corked until it ends, so that several
// frames to one socket (a replay page, a burst from the broker) leave in one syscall.
const corked: Socket[] = [];
let flushQueued = false;
function flush() {
  flushQueued = false;
  for (const s of corked.splice(0)) s.uncork();
}

export function corkForThisTurn(s: Socket): void {
  if (s.writableCorked) return;
  s.cork();
  corked.push(s);
  if (!flushQueued) {
    flushQueued = true;
    process.nextTick(flush);
  }
}
