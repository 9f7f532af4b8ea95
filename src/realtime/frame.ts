/**
 * A frame encoded once per broadcast: the JSON text, its UTF-8 bytes, a group seq, and its
 * `type` carried beside the text, so that sockets route it by value, never by reading JSON.
 */
export interface Frame {
  readonly type: string;
  readonly text: string;
  readonly data: Buffer;
  readonly seq: number | undefined;
  /** The whole WebSocket frame (header + data), built by the first socket that sends it. */
  wire?: Buffer;
}

export const makeFrame = (type: string, text: string, seq?: number): Frame => ({
  type,
  text,
  data: Buffer.from(text),
  seq,
});
