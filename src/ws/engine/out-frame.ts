import { makeFrame, type Frame } from '../../realtime/frame.js';
import { textFrame } from './wire.js';

export { makeFrame, type Frame } from '../../realtime/frame.js';

/**
 * The whole WebSocket frame of an outgoing frame, built by the first socket that sends it and
 * shared by every other: a fan-out to N sockets is one encoding and N writes.
 */
export function wireOf(frame: Frame): Buffer {
  return (frame.wire ??= textFrame(frame.data));
}

/** A frame's fields, parsed at most once per frame whatever the number of sockets reading it. */
const parsed = new WeakMap<Frame, Readonly<Record<string, unknown>>>();
const NO_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The decoded fields of a frame, for the rare routing decisions that need more than `type`
 * (a message's `id` while its sender waits for it, a typing event's `user_id`). Decoded once
 * per fan-out and shared; never a match on the serialized text.
 */
export function fieldsOf(frame: Frame): Readonly<Record<string, unknown>> {
  let f = parsed.get(frame);
  if (!f) {
    try {
      const v: unknown = JSON.parse(frame.text);
      f =
        typeof v === 'object' && v !== null && !Array.isArray(v)
          ? (v as Record<string, unknown>)
          : NO_FIELDS;
    } catch {
      f = NO_FIELDS;
    }
    parsed.set(frame, f);
  }
  return f;
}

/** A string field of a frame, or undefined. */
export function stringField(frame: Frame, name: string): string | undefined {
  const v = fieldsOf(frame)[name];
  return typeof v === 'string' ? v : undefined;
}

/** A reply or event as a value: its fields, `type` among them when it has one. */
export type OutValue = { readonly type?: string } & Readonly<Record<string, unknown>>;

/** A reply or event for one socket: encoded once, typed by its `type` field. */
export function frameOf(value: OutValue): Frame {
  return makeFrame(value.type ?? '', JSON.stringify(value));
}

/** A frame already encoded as JSON text (a stored message's event). */
export function textOf(type: string, text: string): Frame {
  return makeFrame(type, text);
}
