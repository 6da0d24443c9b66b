/**
 * ZMTP command bodies (RFC 23 §"Commands", RFC 37 §"SUBSCRIBE/CANCEL/PING/PONG").
 *
 * A command body is: name-size (1 byte), name, data. READY/ERROR carry
 * metadata / a reason; SUBSCRIBE/CANCEL carry a topic; PING carries a TTL and
 * up to 16 bytes of context that PONG echoes. Parsers bounds-check everything.
 * @module
 */
import { ZmtpError } from "./errors.ts";
import { encodeFrame, FLAG_COMMAND } from "./frame.ts";

/** A decoded command. `props` keys are lower-cased (names are case-insensitive). */
export type Command =
  | { name: "READY"; props: Map<string, Buffer> }
  | { name: "ERROR"; reason: string }
  | { name: "SUBSCRIBE"; topic: Buffer }
  | { name: "CANCEL"; topic: Buffer }
  | { name: "PING"; ttl: number; context: Buffer }
  | { name: "PONG"; context: Buffer }
  | { name: "OTHER"; command: string };

function commandBody(name: string, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(1 + name.length + data.length);
  out[0] = name.length;
  out.write(name, 1, "latin1");
  out.set(data, 1 + name.length);
  return out;
}

/** Encode a command as a complete frame (header included). */
export function commandFrame(name: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  return encodeFrame(commandBody(name, data), FLAG_COMMAND);
}

/** READY with metadata properties (name ≤ 255 bytes, value 4-byte length). */
export function readyFrame(props: Record<string, Uint8Array | string>): Buffer {
  return commandFrame("READY", encodeProps(props));
}

/** Metadata as READY/INITIATE carry it: repeated name-len(1) name value-len(4) value. */
export function encodeProps(props: Record<string, Uint8Array | string>): Buffer {
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(props)) {
    const name = Buffer.from(k, "latin1");
    const value = typeof v === "string" ? Buffer.from(v) : Buffer.from(v);
    if (name.length === 0 || name.length > 255) throw new ZmtpError("EINVAL", `bad property name ${k}`);
    const head = Buffer.allocUnsafe(1 + name.length + 4);
    head[0] = name.length;
    name.copy(head, 1);
    head.writeUInt32BE(value.length, 1 + name.length);
    chunks.push(head, value);
  }
  return Buffer.concat(chunks);
}

export const errorFrame = (reason: string): Buffer => {
  const r = Buffer.from(reason).subarray(0, 255);
  return commandFrame("ERROR", Buffer.concat([Buffer.from([r.length]), r]));
};
export const subscribeFrame = (topic: Uint8Array): Buffer => commandFrame("SUBSCRIBE", topic);
export const cancelFrame = (topic: Uint8Array): Buffer => commandFrame("CANCEL", topic);
export const pongFrame = (context: Uint8Array): Buffer => commandFrame("PONG", context);
export function pingFrame(ttlDeciseconds = 0, context: Uint8Array = new Uint8Array(0)): Buffer {
  const d = Buffer.allocUnsafe(2 + context.length);
  d.writeUInt16BE(ttlDeciseconds, 0);
  d.set(context, 2);
  return commandFrame("PING", d);
}

/** Parse a command body (without the frame header). Throws ZmtpError EPROTO. */
export function parseCommand(b: Buffer): Command {
  if (b.length < 1 || b.length < 1 + b[0]!) throw new ZmtpError("EPROTO", "truncated command name");
  const name = b.toString("latin1", 1, 1 + b[0]!);
  const data = b.subarray(1 + b[0]!);
  switch (name) {
    case "READY":
      return { name, props: parseProps(data) };
    case "ERROR": {
      if (data.length < 1 || data.length < 1 + data[0]!) throw new ZmtpError("EPROTO", "truncated ERROR");
      return { name, reason: data.toString("utf8", 1, 1 + data[0]!) };
    }
    case "SUBSCRIBE":
    case "CANCEL":
      return { name, topic: data };
    case "PING": {
      if (data.length < 2 || data.length > 18) throw new ZmtpError("EPROTO", "malformed PING");
      return { name, ttl: data.readUInt16BE(0), context: data.subarray(2) };
    }
    case "PONG":
      if (data.length > 16) throw new ZmtpError("EPROTO", "malformed PONG");
      return { name, context: data };
    default:
      return { name: "OTHER", command: name };
  }
}

/** Parse READY/INITIATE metadata: repeated name-len(1) name value-len(4) value. */
export function parseProps(d: Buffer): Map<string, Buffer> {
  const props = new Map<string, Buffer>();
  let i = 0;
  while (i < d.length) {
    const nl = d[i]!;
    if (nl === 0 || i + 1 + nl + 4 > d.length) throw new ZmtpError("EPROTO", "truncated metadata property");
    const name = d.toString("latin1", i + 1, i + 1 + nl).toLowerCase();
    i += 1 + nl;
    const vl = d.readUInt32BE(i);
    i += 4;
    if (vl > d.length - i) throw new ZmtpError("EPROTO", "metadata value overruns command");
    props.set(name, d.subarray(i, i + vl));
    i += vl;
  }
  return props;
}
