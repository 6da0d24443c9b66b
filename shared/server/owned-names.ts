/**
 * Owned user names, an extension of the contract: a user may register a
 * password, and from then on that name logs in only with it, and
 * `publish`, `message` and private `history` for that name need the
 * session token the login returned. Names nobody registered work exactly
 * as the contract says, so clients that never send a password are
 * unaffected.
 *
 * Wire (protocol.ts, validate.ts):
 * - `login {user, password?}`: on a name without an owner, a password
 *   registers it (a `claim` record holding its argon2id hash); on an owned
 *   name the password must match. Either way the reply carries `token`
 *   (32 random bytes, base64url), and a `session` record holds its SHA-256,
 *   never the token. A login without a password on an owned name, or with
 *   a wrong one, is refused.
 * - `publish {…, token}`, `message {…, token}`, `history {user, peer, token}`:
 *   the token must be a session of `user` / `src` when that name is owned.
 * - `session {user, token}`: `sucesso` if the token is a session of that
 *   owned name (the proxy checks subscribers' PLAIN credentials with it).
 *
 * Claims and sessions are records, replicated like all others, so every
 * server accepts every token; which claim owns a name when two servers
 * registered it at once is decided in store/claims.ts (first in history
 * order, the same on every server).
 *
 * Password checks are slow on purpose (argon2id: tens of ms and 64 MiB
 * each), so they run before the request is handled (`check`, async, on
 * Bun's worker threads), at most {@link MAX_PASSWORD_CHECKS} at once, and
 * the synchronous handler then only compares what the check found with
 * the store as it is by then.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import type { LamportClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import type { ChatRecord, LocalRecord, Store } from "../store/store.ts";
import { ServiceError, type Fields } from "../wire/service-table.ts";
import { CONTRACT_RULES, isMap } from "../wire/validate.ts";
import { PasswordThrottle } from "./password-throttle.ts";

/** What the password check of a login found, before the login is handled. */
export type Credential =
  /** The name had no owner: this hash registers it. */
  | { kind: "new"; hash: string }
  /** The password was checked against the claim with this id. */
  | { kind: "match" | "mismatch"; claim: string }
  /** The check itself failed (e.g. a stored hash it cannot read). */
  | { kind: "failed"; error: string }
  /** Too many wrong passwords for this name lately: not checked (password-throttle.ts). */
  | { kind: "throttled"; waitMs: number };

/** Most password hashes or verifications running at once; the rest wait their turn. */
export const MAX_PASSWORD_CHECKS = 4;

/** The SHA-256 of a session token, hex: what the store keeps instead of the token. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A fresh session token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export interface OwnedNamesDeps {
  store: Store;
  log: Logger;
  clock: LamportClock;
  /** Stores a local record (stamped with the server's time and a fresh clock). */
  append: (r: Omit<LocalRecord, "timestamp" | "clock">) => ChatRecord;
}

export class OwnedNames {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly throttle = new PasswordThrottle();

  constructor(private readonly o: OwnedNamesDeps) {}

  /** True if someone registered this name. */
  owned(user: string): boolean {
    return this.o.store.claimOf(user) !== undefined;
  }

  /**
   * The password check a request needs before it is handled: for a valid
   * `login` with a password, a promise of what the check found (never
   * rejected); for anything else null.
   */
  check(raw: unknown): Promise<Credential> | null {
    if (!isMap(raw) || raw.service !== "login" || !isMap(raw.data)) return null;
    const f: Fields = {};
    if (CONTRACT_RULES.login(raw.data, f) !== null || f.password === undefined) return null;
    const waitMs = this.throttle.wait(f.user as string);
    if (waitMs > 0) return Promise.resolve({ kind: "throttled", waitMs });
    return this.limited(() => this.verify(f.user as string, f.password as string));
  }

  /**
   * Handles a login: the records it stores go to `records`; returns the
   * reply's fields (with `token` when a password was given).
   */
  login(user: string, password: string | undefined, cred: Credential | undefined, records: ChatRecord[]): Fields {
    const claim = this.o.store.claimOf(user);
    if (password === undefined) {
      if (claim) this.refuse(`name '${user}' is registered: log in with its password`, `login as registered '${user}' without a password`);
      records.push(this.o.append({ kind: "login", user }));
      return { status: "sucesso" };
    }
    if (!cred) throw new Error("login with a password reached its handler unchecked");
    if (cred.kind === "throttled") {
      this.refuse(`too many wrong passwords for '${user}': try again in ${Math.ceil(cred.waitMs / 1000)} s`, `login as '${user}': too many wrong passwords`);
    }
    if (cred.kind === "failed") this.refuse(`the password of '${user}' could not be checked: ${cred.error}`, `login as '${user}': the password check failed: ${cred.error}`);
    if (cred.kind === "new" ? claim !== undefined : claim?.id !== cred.claim) {
      throw new ServiceError(`name '${user}' was registered meanwhile: log in again`);
    }
    if (cred.kind === "mismatch") {
      this.throttle.failed(user);
      this.refuse(`wrong password for '${user}'`, `login as '${user}' with a wrong password`);
    }
    this.throttle.succeeded(user);
    records.push(this.o.append({ kind: "login", user }));
    let claimId = claim?.id;
    if (cred.kind === "new") {
      const c = this.o.append({ kind: "claim", user, secret: cred.hash });
      records.push(c);
      claimId = c.id;
      this.o.log.info(`name '${user}' registered (claim ${c.id})`, this.o.clock.value);
    }
    const token = newToken();
    records.push(this.o.append({ kind: "session", user, secret: tokenDigest(token), claim: claimId! }));
    return { status: "sucesso", token };
  }

  /** Refuses a request acting as `user` (`what` says how) unless the name is unowned or `token` is one of its sessions. */
  authorize(user: string, token: unknown, what: string): void {
    if (!this.owned(user)) return;
    if (token === undefined) {
      this.refuse(`'${user}' is a registered name: ${what} needs the session token of its login`, `${what} without a token`);
    }
    if (typeof token !== "string" || !this.o.store.hasSession(user, tokenDigest(token))) {
      this.refuse(`'${user}' is a registered name and this token is not one of its sessions: log in again`, `${what} with a wrong token`);
    }
  }

  /** The `session` service: is `token` a live session of the owned name `user`? */
  session(user: string, token: string): Fields {
    if (!this.owned(user)) throw new ServiceError(`name '${user}' is not registered`);
    if (!this.o.store.hasSession(user, tokenDigest(token))) this.refuse(`not a session of '${user}'`, `a session check for '${user}' with a wrong token`);
    return { status: "sucesso" };
  }

  /** Logs the refusal, then throws it as the reply's error text. */
  private refuse(text: string, logged: string): never {
    this.o.log.info(`owned names: refused ${logged}`, this.o.clock.value);
    throw new ServiceError(text);
  }

  private async verify(user: string, password: string): Promise<Credential> {
    try {
      const claim = this.o.store.claimOf(user);
      if (!claim) return { kind: "new", hash: await Bun.password.hash(password, { algorithm: "argon2id" }) };
      return { kind: (await Bun.password.verify(password, claim.hash)) ? "match" : "mismatch", claim: claim.id };
    } catch (e) {
      return { kind: "failed", error: (e as Error)?.message ?? String(e) };
    }
  }

  /** Runs `fn` once fewer than MAX_PASSWORD_CHECKS others run. */
  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running < MAX_PASSWORD_CHECKS) this.running++;
    else await new Promise<void>((r) => this.queue.push(r)); // the slot is handed over, still counted
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
