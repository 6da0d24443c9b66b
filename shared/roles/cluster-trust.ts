/**
 * Who belongs to the cluster: holders of a CURVE key pair listed as
 * trusted. Every internal port (the ref, the broker's server side, the
 * proxy's publisher side, each server's peer endpoint) accepts only CURVE
 * clients whose public key is trusted, and every role connects to those
 * ports with the cluster key pair, expecting the cluster public key as the
 * server's.
 *
 * Files, in the keys directory (`<data-dir>/keys` unless `--keys-dir`):
 * - `cluster.key_secret`: the key pair (libzmq's certificate format, mode
 *   0600), made on first start by whichever role starts first;
 * - `cluster.key`: its public half, to hand to `--secure` clients;
 * - `trusted.keys` (optional): further trusted public keys, Z85, one per
 *   line, `#` comments. The cluster's own key is always trusted.
 * A multi-host cluster copies the directory to every host.
 *
 * `--open` turns all of this off (NULL everywhere, everyone a member), for
 * mixing with other teams' servers; the roles say so loudly at start.
 *
 * @module
 */
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { curveKeyPair, readKeyFile, z85Decode, writeKeyFile, type PeerInfo, type SocketOptions, type ZSocket } from "../zmq/index.ts";
import type { Logger } from "./log.ts";
import { TOKEN_PROPERTY, USER_PROPERTY } from "../wire/protocol.ts";

export const SECRET_FILE = "cluster.key_secret";
export const PUBLIC_FILE = "cluster.key";
export const TRUSTED_FILE = "trusted.keys";

/** The user id a trusted CURVE peer gets on an internal port. */
export const MEMBER = "cluster-member";
export { TOKEN_PROPERTY, USER_PROPERTY };

export class ClusterTrust {
  private constructor(
    readonly open: boolean,
    readonly publicKey: string,
    private readonly secretKey: string,
    /** Trusted public keys (Z85), the cluster's own included. */
    readonly trusted: ReadonlySet<string>,
  ) {}

  /** Reads (or, the first time, makes) the keys in `dir`. */
  static load(dir: string, open = false): ClusterTrust {
    const pair = loadOrCreatePair(dir);
    const trusted = new Set([pair.publicKey, ...readTrusted(join(dir, TRUSTED_FILE))]);
    return new ClusterTrust(open, pair.publicKey, pair.secretKey, trusted);
  }

  /** Options for binding an internal port: trusted CURVE clients only (nothing in open mode). */
  membersOnly(): SocketOptions {
    if (this.open) return {};
    return { curveServer: true, curveSecretKey: this.secretKey, authenticate: (r) => this.verdict(r.clientPublicKey) };
  }

  /**
   * Options for binding a public port: NULL clients, and CURVE clients
   * with any key (anonymous but encrypted; members are known by their
   * key). With `check` (user name and session token → the user, or null),
   * PLAIN clients too, and CURVE clients sending USER_PROPERTY and
   * TOKEN_PROPERTY in their metadata: their user id is that user, so the
   * proxy can hand them their private messages.
   */
  publicPort(check?: (user: string, token: string) => Promise<string | null>): SocketOptions {
    const refused = { allow: false as const, statusCode: 400 as const, statusText: "user name or session token refused" };
    const asUser = async (user: string, token: string) => {
      const ok = await check!(user, token);
      return ok === null ? refused : { allow: true as const, userId: ok };
    };
    return {
      mechanisms: check ? ["NULL", "PLAIN", "CURVE"] : ["NULL", "CURVE"],
      curveSecretKey: this.secretKey,
      authenticate: async (r) => {
        if (r.mechanism === "PLAIN") return asUser(r.username ?? "", r.password ?? "");
        const user = r.properties?.get(USER_PROPERTY.toLowerCase());
        if (check && user !== undefined) return asUser(user, r.properties?.get(TOKEN_PROPERTY.toLowerCase()) ?? "");
        return { allow: true, userId: "" };
      },
    };
  }

  /** Options for connecting to an internal port (nothing in open mode). */
  member(): SocketOptions {
    if (this.open) return {};
    return { curveServerKey: this.publicKey, curveSecretKey: this.secretKey, curvePublicKey: this.publicKey };
  }

  /** True for a peer authenticated with a trusted key; everyone in open mode. */
  isMember(peer: PeerInfo | null): boolean {
    if (this.open) return true;
    return peer !== null && peer.mechanism === "CURVE" && this.trusted.has(peer.publicKey ?? "");
  }

  private verdict(key: string | undefined) {
    if (key !== undefined && this.trusted.has(key)) return { allow: true as const, userId: MEMBER };
    return { allow: false as const, statusCode: 400 as const, statusText: "this key is not trusted by the cluster" };
  }
}

/** Logs every refused or failed handshake on `sock`, naming the port. */
export function logRefusals(sock: ZSocket, log: Logger, what: string): () => void {
  return sock.events.on("handshake:error", (e) => log.error(`refused a connection to the ${what} from ${e.address ? `${e.address}:${e.port}` : "a local peer"}: ${e.error.message}`));
}

/** The start-up warning of open mode, one line per role. */
export function warnIfOpen(trust: ClusterTrust, log: Logger): void {
  if (trust.open) log.error("OPEN MODE (--open): internal ports take anyone; any process that can reach them can act as a server, forge history and read private messages");
}

/** The trust of a role's options: `--keys-dir` (default `<data-dir>/keys`) and `--open`. */
export function trustFor(o: { dataDir: string; keysDir?: string | undefined; open: boolean }): ClusterTrust {
  return ClusterTrust.load(o.keysDir ?? join(o.dataDir, "keys"), o.open);
}

function loadOrCreatePair(dir: string): { publicKey: string; secretKey: string } {
  const path = join(dir, SECRET_FILE);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Written aside and linked into place: when several roles start at
    // once, exactly one pair wins and everyone reads that one.
    const tmp = `${path}.${process.pid}.tmp`;
    const pair = curveKeyPair();
    writeKeyFile(tmp, pair, { purpose: "cluster" });
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      unlinkSync(tmp);
    }
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new Error(`${path} is readable by others: chmod 600 it (it holds the cluster's secret key)`);
  const file = readKeyFile(path);
  if (file.secretKey === undefined) throw new Error(`${path} holds no secret key`);
  const pub = join(dir, PUBLIC_FILE);
  if (!existsSync(pub)) writeKeyFile(pub, { publicKey: file.publicKey }, { purpose: "cluster" });
  return { publicKey: file.publicKey, secretKey: file.secretKey };
}

function readTrusted(path: string): string[] {
  if (!existsSync(path)) return [];
  const keys: string[] = [];
  for (const [i, raw] of readFileSync(path, "utf8").split(/\r?\n/).entries()) {
    // Z85 has '#' in its alphabet: a comment is a line starting with it, or
    // anything after the key and a space.
    const line = raw.trim().split(/\s/)[0]!;
    if (line === "" || line.startsWith("#")) continue;
    try {
      if (z85Decode(line).length !== 32) throw new Error("length");
    } catch {
      throw new Error(`${path} line ${i + 1}: not a 40-character Z85 public key`);
    }
    keys.push(line);
  }
  return keys;
}
