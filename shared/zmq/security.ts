/**
 * Security socket options (zeromq.js v6 names) and the mechanism they
 * select. As in libzmq, the options in force when bind() or connect() is
 * called apply to the connections of that endpoint:
 *
 * - `curveServer: true` + `curveSecretKey` → CURVE server;
 * - `curveServerKey` + `curveSecretKey` (+ `curvePublicKey`, derived when
 *   left out) → CURVE client;
 * - `plainServer: true` (needs `authenticate`) → PLAIN server;
 * - `plainUsername` / `plainPassword` → PLAIN client;
 * - none of these → NULL;
 * - `mechanisms: [...]` on a bind → each connection uses the mechanism its
 *   client greets with, if listed (a public port open to NULL clients and
 *   to PLAIN or CURVE ones; see connection.ts for how the greeting waits).
 *
 * Keys are 40-character Z85 strings or 32-byte arrays. Conflicting or
 * incomplete settings throw ZmtpError EINVAL from bind()/connect().
 * @module
 */
import type { AuthRequest, Authenticator, MechanismName } from "./auth.ts";
import { CurveClient } from "./curve-client.ts";
import { toKeyBytes, type CurveKey } from "./curve-keys.ts";
import { CurveServer } from "./curve-server.ts";
import { ZmtpError } from "./errors.ts";
import type { Mechanism } from "./mechanism.ts";
import { equal, publicFromSecret } from "./nacl.ts";
import { PlainClient, PlainServer } from "./plain.ts";

export interface SecurityOptions {
  /** Act as CURVE server (needs `curveSecretKey`). */
  curveServer?: boolean;
  /** Our long-term public key (CURVE client; optional, derived from the secret key). */
  curvePublicKey?: CurveKey | null;
  /** Our long-term secret key (CURVE client and server). */
  curveSecretKey?: CurveKey | null;
  /** The server's long-term public key (makes this socket a CURVE client). */
  curveServerKey?: CurveKey | null;
  /** Act as PLAIN server (needs `authenticate`). */
  plainServer?: boolean;
  /** PLAIN client credentials (each at most 255 bytes). */
  plainUsername?: string | null;
  plainPassword?: string | null;
  /** ZAP domain handed to the authenticator (default ""). */
  zapDomain?: string;
  /** Server side: decides who may connect (see auth.ts). */
  authenticate?: Authenticator | null;
  /**
   * Server side: accept each of these mechanisms, as the client chooses
   * (CURVE needs `curveSecretKey`, PLAIN needs `authenticate`). libzmq has
   * no such option; its clients need none (they greet as usual).
   */
  mechanisms?: MechanismName[] | null;
}

export const SECURITY_OPTION_KEYS = [
  "curveServer",
  "curvePublicKey",
  "curveSecretKey",
  "curveServerKey",
  "plainServer",
  "plainUsername",
  "plainPassword",
  "zapDomain",
  "authenticate",
  "mechanisms",
] as const;

/** A resolved security configuration, captured per bind/connect. */
export type Security =
  | { mechanism: "NULL"; server: false }
  | { mechanism: "PLAIN"; server: true; authenticate: Authenticator; domain: string }
  | { mechanism: "PLAIN"; server: false; username: string; password: string }
  | { mechanism: "CURVE"; server: true; secretKey: Buffer; authenticate: Authenticator | null; domain: string }
  | { mechanism: "CURVE"; server: false; publicKey: Buffer; secretKey: Buffer; serverKey: Buffer }
  | { mechanism: "NEGOTIATED"; server: true; choices: ReadonlyMap<string, AcceptedSecurity> };

/** One mechanism a negotiated bind may settle on. */
export type AcceptedSecurity = Exclude<Security, { mechanism: "NEGOTIATED" }>;

export const NULL_SECURITY: AcceptedSecurity = { mechanism: "NULL", server: false };

const set = (v: unknown) => v !== undefined && v !== null;

/** Check the options and pick the mechanism. Throws ZmtpError EINVAL. */
export function resolveSecurity(o: SecurityOptions): Security {
  if (set(o.mechanisms)) return resolveNegotiated(o);
  const curve = o.curveServer === true || set(o.curveServerKey);
  const plain = o.plainServer === true || set(o.plainUsername) || set(o.plainPassword);
  if (curve && plain) throw new ZmtpError("EINVAL", "both CURVE and PLAIN options are set; a socket uses one mechanism");
  if (o.curveServer === true && set(o.curveServerKey)) {
    throw new ZmtpError("EINVAL", "curveServer and curveServerKey both set: a socket is CURVE server or client, not both");
  }
  if (o.plainServer === true && (set(o.plainUsername) || set(o.plainPassword))) {
    throw new ZmtpError("EINVAL", "plainServer and PLAIN client credentials both set");
  }
  if (set(o.authenticate) && typeof o.authenticate !== "function") throw new ZmtpError("EINVAL", "authenticate must be a function");
  if (o.zapDomain !== undefined && typeof o.zapDomain !== "string") throw new ZmtpError("EINVAL", "zapDomain must be a string");
  const domain = o.zapDomain ?? "";
  const authenticate = (o.authenticate ?? null) as Authenticator | null;
  if (o.curveServer === true) {
    if (!set(o.curveSecretKey)) throw new ZmtpError("EINVAL", "curveServer needs curveSecretKey");
    const secretKey = toKeyBytes(o.curveSecretKey!, "curveSecretKey");
    if (set(o.curvePublicKey)) checkPair(toKeyBytes(o.curvePublicKey!, "curvePublicKey"), secretKey);
    return { mechanism: "CURVE", server: true, secretKey, authenticate, domain };
  }
  if (set(o.curveServerKey)) {
    const serverKey = toKeyBytes(o.curveServerKey!, "curveServerKey");
    if (!set(o.curveSecretKey)) throw new ZmtpError("EINVAL", "a CURVE client needs curveSecretKey (see curveKeyPair())");
    const secretKey = toKeyBytes(o.curveSecretKey!, "curveSecretKey");
    const derived = Buffer.from(publicFromSecret(secretKey));
    const publicKey = set(o.curvePublicKey) ? toKeyBytes(o.curvePublicKey!, "curvePublicKey") : derived;
    checkPair(publicKey, secretKey);
    return { mechanism: "CURVE", server: false, publicKey, secretKey, serverKey };
  }
  if (o.plainServer === true) {
    if (authenticate === null) throw new ZmtpError("EINVAL", "plainServer needs an authenticate hook to check passwords");
    return { mechanism: "PLAIN", server: true, authenticate, domain };
  }
  if (plain) {
    const username = o.plainUsername ?? "";
    const password = o.plainPassword ?? "";
    if (typeof username !== "string" || typeof password !== "string") throw new ZmtpError("EINVAL", "plainUsername/plainPassword must be strings");
    if (Buffer.byteLength(username) > 255 || Buffer.byteLength(password) > 255) {
      throw new ZmtpError("EINVAL", "PLAIN user name and password are limited to 255 bytes");
    }
    return { mechanism: "PLAIN", server: false, username, password };
  }
  return NULL_SECURITY;
}

/** `mechanisms`: the server side of every listed mechanism, keyed by its greeting name. */
function resolveNegotiated(o: SecurityOptions): Security {
  const list = o.mechanisms;
  if (!Array.isArray(list) || list.length === 0) throw new ZmtpError("EINVAL", "mechanisms must be a non-empty list of NULL, PLAIN, CURVE");
  if (set(o.curveServerKey) || set(o.plainUsername) || set(o.plainPassword)) {
    throw new ZmtpError("EINVAL", "mechanisms is for the accepting side; client credentials are set too");
  }
  const choices = new Map<string, AcceptedSecurity>();
  for (const m of list) {
    if (m === "NULL") choices.set(m, NULL_SECURITY);
    else if (m === "PLAIN") choices.set(m, resolveSecurity({ plainServer: true, authenticate: o.authenticate, zapDomain: o.zapDomain }) as AcceptedSecurity);
    else if (m === "CURVE") {
      const c = { curveServer: true, curveSecretKey: o.curveSecretKey, curvePublicKey: o.curvePublicKey, authenticate: o.authenticate, zapDomain: o.zapDomain };
      choices.set(m, resolveSecurity(c) as AcceptedSecurity);
    } else throw new ZmtpError("EINVAL", `unknown mechanism ${JSON.stringify(m)} (NULL, PLAIN or CURVE)`);
  }
  if (choices.size === 1) return [...choices.values()][0]!;
  return { mechanism: "NEGOTIATED", server: true, choices };
}

function checkPair(publicKey: Buffer, secretKey: Buffer): void {
  if (!equal(publicFromSecret(secretKey), publicKey)) throw new ZmtpError("EINVAL", "curvePublicKey does not belong to curveSecretKey");
}

/** The handshake state machine for one connection; null for NULL. */
export function createMechanism(s: AcceptedSecurity, metadata: Buffer, address: string): Mechanism | null {
  const req: Omit<AuthRequest, "mechanism" | "identity"> = { domain: s.mechanism !== "NULL" && s.server ? s.domain : "", address };
  switch (s.mechanism) {
    case "NULL":
      return null;
    case "PLAIN":
      return s.server ? new PlainServer(metadata, { ...req, identity: "" }) : new PlainClient(s.username, s.password, metadata);
    case "CURVE":
      return s.server ? new CurveServer(s.secretKey, metadata, req) : new CurveClient(s, metadata);
  }
}
