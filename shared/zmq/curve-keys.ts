/**
 * CURVE long-term keys: generation (like zmq_curve_keypair), deriving the
 * public key from the secret one (zmq_curve_public), accepting a key as
 * 40 Z85 characters or 32 bytes, and key files in the ZPL certificate text
 * form libzmq's tools use (a `curve` section with `public-key = "..."` and,
 * in the secret file, `secret-key = "..."`; an optional `metadata`
 * section). Parsing is bounded and strict about key syntax.
 * @module
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { ZmtpError } from "./errors.ts";
import { equal, KEY_BYTES, keyPair, publicFromSecret } from "./nacl.ts";
import { z85Decode, z85Encode } from "./z85.ts";

/** A key as a socket option accepts it: 40 Z85 characters or 32 bytes. */
export type CurveKey = string | Uint8Array;

export interface CurveKeyPair {
  /** Z85, 40 characters. */
  publicKey: string;
  /** Z85, 40 characters. */
  secretKey: string;
}

/** A fresh long-term key pair, Z85-encoded. */
export function curveKeyPair(): CurveKeyPair {
  const kp = keyPair();
  return { publicKey: z85Encode(kp.publicKey), secretKey: z85Encode(kp.secretKey) };
}

/** The public key (Z85) belonging to a secret key. */
export function curvePublicKey(secretKey: CurveKey): string {
  return z85Encode(publicFromSecret(toKeyBytes(secretKey, "secret key")));
}

/** Normalise a key to 32 bytes; EINVAL names `what` when it is malformed. */
export function toKeyBytes(key: CurveKey, what: string): Buffer {
  if (typeof key === "string") {
    if (key.length !== 40) throw new ZmtpError("EINVAL", `${what} must be 40 Z85 characters (got ${key.length})`);
    return z85Decode(key);
  }
  if (key instanceof Uint8Array && key.length === KEY_BYTES) return Buffer.from(key);
  throw new ZmtpError("EINVAL", `${what} must be a 40-character Z85 string or ${KEY_BYTES} bytes`);
}

/** What a key file holds. */
export interface KeyFile {
  publicKey: string;
  secretKey?: string;
  metadata: Record<string, string>;
}

const MAX_KEY_FILE = 64 * 1024;

/** Render a certificate: public only, or (with `secretKey`) the secret file. */
export function formatKeyFile(keys: { publicKey: string; secretKey?: string }, metadata: Record<string, string> = {}): string {
  toKeyBytes(keys.publicKey, "public key");
  if (keys.secretKey !== undefined) checkPair(keys.publicKey, keys.secretKey);
  const quote = (v: string) => {
    if (/["\n\r]/.test(v)) throw new ZmtpError("EINVAL", "key file values cannot contain quotes or newlines");
    return `"${v}"`;
  };
  const lines = [
    keys.secretKey === undefined ? "#   ZeroMQ CURVE public certificate" : "#   ZeroMQ CURVE **secret** certificate",
    keys.secretKey === undefined
      ? "#   Share it freely; check its contents came from its owner."
      : "#   Keep it private: it holds the secret key.",
    "",
    "metadata",
  ];
  for (const [k, v] of Object.entries(metadata)) {
    if (!/^[A-Za-z0-9$\-_@.&+/]+$/.test(k)) throw new ZmtpError("EINVAL", `bad metadata name ${JSON.stringify(k)}`);
    lines.push(`    ${k} = ${quote(v)}`);
  }
  lines.push("curve", `    public-key = ${quote(keys.publicKey)}`);
  if (keys.secretKey !== undefined) lines.push(`    secret-key = ${quote(keys.secretKey)}`);
  return lines.join("\n") + "\n";
}

/** Parse certificate text (ZPL: sections, 4-space indented `name = value`, `#` comments). */
export function parseKeyFile(text: string): KeyFile {
  if (text.length > MAX_KEY_FILE) throw new ZmtpError("EINVAL", "key file too large");
  let section = "";
  let publicKey: string | undefined;
  let secretKey: string | undefined;
  const metadata: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const line = raw.replace(/\s+$/, "");
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const indent = line.length - line.trimStart().length;
    const m = /^([A-Za-z0-9$\-_@.&+/]+)\s*(?:=\s*(.*))?$/.exec(line.trim());
    if (!m) throw new ZmtpError("EINVAL", `key file line ${n + 1}: cannot parse`);
    const [, name, rawValue] = m;
    if (indent === 0) {
      if (rawValue !== undefined) throw new ZmtpError("EINVAL", `key file line ${n + 1}: value outside a section`);
      section = name!;
      continue;
    }
    if (rawValue === undefined) continue; // nested sections beyond ours: ignored
    const value = unquote(rawValue, n + 1);
    if (section === "curve" && name === "public-key") publicKey = value;
    else if (section === "curve" && name === "secret-key") secretKey = value;
    else if (section === "metadata") metadata[name!] = value;
  }
  if (publicKey === undefined) throw new ZmtpError("EINVAL", "key file has no curve public-key");
  toKeyBytes(publicKey, "key file public-key");
  if (secretKey !== undefined) checkPair(publicKey, secretKey);
  return secretKey === undefined ? { publicKey, metadata } : { publicKey, secretKey, metadata };
}

function unquote(v: string, line: number): string {
  const q = v[0];
  if (q === '"' || q === "'") {
    const end = v.indexOf(q, 1);
    if (end < 0) throw new ZmtpError("EINVAL", `key file line ${line}: unterminated quote`);
    return v.slice(1, end);
  }
  return v.replace(/\s+#.*$/, "");
}

function checkPair(publicKey: string, secretKey: string): void {
  const pub = toKeyBytes(publicKey, "public key");
  if (!equal(publicFromSecret(toKeyBytes(secretKey, "secret key")), pub)) {
    throw new ZmtpError("EINVAL", "secret key does not belong to the public key");
  }
}

/** Read a certificate file. */
export function readKeyFile(path: string): KeyFile {
  return parseKeyFile(readFileSync(path, "utf8"));
}

/** Write a certificate file; a secret one is made readable by its owner only. */
export function writeKeyFile(path: string, keys: { publicKey: string; secretKey?: string }, metadata: Record<string, string> = {}): void {
  const text = formatKeyFile(keys, metadata);
  writeFileSync(path, text, { mode: keys.secretKey === undefined ? 0o644 : 0o600 });
  if (keys.secretKey !== undefined) chmodSync(path, 0o600);
}
