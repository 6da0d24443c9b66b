/**
 * Owned user names on the chat service with real stores: registering with
 * a password, refusals without it or its session token, tokens accepted on
 * another replica, concurrent registrations resolved the same way on every
 * replica, unregistered names untouched, no secret in a log line, and a
 * version-1 data directory opened and migrated.
 */
import { Database } from "bun:sqlite";
import { beforeEach, describe, expect, it } from "bun:test";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { LamportClock } from "../shared/cluster/lamport.ts";
import { createLogger } from "../shared/roles/log.ts";
import { ChatService, type HandleResult } from "../shared/server/chat-service.ts";
import { openStore } from "../shared/store/sqlite.ts";
import type { ChatRecord, Store } from "../shared/store/store.ts";
import { Scratch } from "./helpers/scratch.ts";

const scratch = new Scratch("owned-names-");
let t = 1_700_000_000_000;

interface Replica {
  store: Store;
  svc: ChatService;
  lines: string[];
}

function replica(name: string, mode: "text" | "json" = "text"): Replica {
  const store = scratch.store(name);
  const lines: string[] = [];
  const log = createLogger({ role: "server", name, mode, color: false, write: (l) => lines.push(l) });
  return { store, lines, svc: new ChatService(store, { serverName: name, clock: new LamportClock(), now: () => ++t, log }) };
}

const req = (service: string, data: Record<string, unknown> = {}) => ({ service, data: { timestamp: Date.now(), clock: 0, ...data } });
const data = (r: HandleResult) => r.reply.data as Record<string, any>;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

let s1: Replica;

beforeEach(() => {
  s1 = replica("s1");
});

/** Logs `user` in on `r` (with a password when given) and returns the reply's data. */
async function login(r: Replica, user: string, password?: string): Promise<Record<string, any>> {
  return data(await r.svc.serve(req("login", password === undefined ? { user } : { user, password })));
}

describe("registering a name", () => {
  it("a login with a password registers the name and answers a token; only hashes are stored", async () => {
    const res = await s1.svc.serve(req("login", { user: "ana", password: "s3cret" }));
    expect(data(res).status).toBe("sucesso");
    const token = data(res).token as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url
    expect(res.records.map((r) => r.kind)).toEqual(["login", "claim", "session"]);
    const [, claim, session] = res.records as [ChatRecord, ChatRecord, ChatRecord];
    expect(claim.secret).toStartWith("$argon2id$");
    expect(await Bun.password.verify("s3cret", claim.secret!)).toBe(true);
    expect(session).toMatchObject({ user: "ana", secret: sha256(token), claim: claim.id });
    expect(JSON.stringify(res.records)).not.toContain("s3cret");
    expect(JSON.stringify(res.records)).not.toContain(token);
    // Never listed: users once, no history, no deliveries, no count.
    expect(data(s1.svc.handle(req("users"))).users).toEqual(["ana"]);
    expect(res.deliveries).toEqual([]);
    expect(s1.store.count()).toBe(0);
    expect(s1.lines.join("\n")).toContain("name 'ana' registered");
  });

  it("refuses a login without the password, or with a wrong one, and logs it", async () => {
    await login(s1, "ana", "s3cret");
    const bare = await s1.svc.serve(req("login", { user: "ana" }));
    expect(data(bare)).toMatchObject({ status: "erro", description: "name 'ana' is registered: log in with its password" });
    expect(bare.records).toEqual([]);
    const wrong = await s1.svc.serve(req("login", { user: "ana", password: "guess" }));
    expect(data(wrong)).toMatchObject({ status: "erro", description: "wrong password for 'ana'" });
    expect(wrong.records).toEqual([]);
    expect(data(wrong).token).toBeUndefined();
    const log = s1.lines.join("\n");
    expect(log).toContain("refused login as registered 'ana' without a password");
    expect(log).toContain("refused login as 'ana' with a wrong password");
  });

  it("the right password logs in again with a new token; both tokens stay good", async () => {
    const a = (await login(s1, "ana", "s3cret")).token;
    const again = await s1.svc.serve(req("login", { user: "ana", password: "s3cret" }));
    expect(data(again).status).toBe("sucesso");
    expect(again.records.map((r) => r.kind)).toEqual(["login", "session"]);
    const b = data(again).token;
    expect(b).not.toBe(a);
    for (const token of [a, b]) expect(data(s1.svc.handle(req("session", { user: "ana", token }))).status).toBe("sucesso");
  });

  it("after 5 wrong passwords for a name, refuses its logins with a password at once, the right one too", async () => {
    expect((await login(s1, "ana", "s3cret")).status).toBe("sucesso");
    for (let i = 0; i < 5; i++) expect((await login(s1, "ana", `guess ${i}`)).description).toBe("wrong password for 'ana'");
    const t = performance.now();
    const locked = await login(s1, "ana", "s3cret");
    expect(performance.now() - t).toBeLessThan(1000);
    expect(locked.status).toBe("erro");
    expect(locked.description).toMatch(/^too many wrong passwords for 'ana': try again in \d+ s$/);
    // Other names are not held up.
    expect((await login(s1, "bia", "another")).status).toBe("sucesso");
  });

  it("bounds the password: a string of 1–1024 bytes", async () => {
    for (const [password, text] of [["x".repeat(1025), "longer than 1024 bytes"], ["é".repeat(513), "longer than 1024 bytes"], ["", "must not be empty"], [42, "must be a string"]] as const) {
      const r = await s1.svc.serve(req("login", { user: "ana", password }));
      expect(data(r).status).toBe("erro");
      expect(data(r).description).toContain(text);
    }
    expect((await login(s1, "ana", "é".repeat(512))).status).toBe("sucesso");
  });

  it("two registrations of one new name on one server: the second is told to log in again", async () => {
    const replies = await Promise.all([login(s1, "ana", "one"), login(s1, "ana", "two")]);
    // Whichever check finished first registered the name.
    const won = replies.findIndex((r) => r.status === "sucesso");
    expect(won).toBeGreaterThanOrEqual(0);
    expect(replies[1 - won]).toMatchObject({ status: "erro", description: "name 'ana' was registered meanwhile: log in again" });
    const [winner, loser] = won === 0 ? ["one", "two"] : ["two", "one"];
    expect((await login(s1, "ana", winner)).status).toBe("sucesso");
    expect((await login(s1, "ana", loser)).description).toBe("wrong password for 'ana'");
  });

  it("no log line shows a password or a token, in text or json", async () => {
    const j = replica("j1", "json");
    const token = (await login(j, "ana", "hunter2-secret")).token;
    for (const r of [j, s1]) {
      const answers = [
        await r.svc.serve(req("login", { user: "bob", password: "hunter2-secret" })),
        r.svc.handle(req("session", { user: "ana", token })),
        r.svc.handle(req("channel", { channel: "geral" })),
        r.svc.handle(req("publish", { user: "ana", channel: "geral", message: "hi", token })),
      ];
      for (const a of answers) r.svc.encode(a); // the reply lines too
      expect(r.lines.length).toBeGreaterThan(7);
    }
    const all = [...j.lines, ...s1.lines].join("\n");
    expect(all).not.toContain("hunter2-secret");
    expect(all).not.toContain(token);
    expect(j.lines.join("\n")).toContain("(hidden)");
  });
});

describe("acting as a registered name", () => {
  let token: string;
  beforeEach(async () => {
    token = (await login(s1, "ana", "s3cret")).token;
    await login(s1, "bob");
    s1.svc.handle(req("channel", { channel: "geral" }));
  });

  it("publish needs the token: refused without it or with a wrong one, nothing stored", () => {
    for (const [extra, text] of [
      [{}, "'ana' is a registered name: publish as 'ana' needs the session token of its login"],
      [{ token: "forged" }, "'ana' is a registered name and this token is not one of its sessions: log in again"],
    ] as const) {
      const r = s1.svc.handle(req("publish", { user: "ana", channel: "geral", message: "fake", ...extra }));
      expect(data(r)).toMatchObject({ status: "erro", message: text });
      expect(r.records).toEqual([]);
      expect(r.deliveries).toEqual([]);
    }
    expect(s1.store.count()).toBe(0);
    const ok = s1.svc.handle(req("publish", { user: "ana", channel: "geral", message: "real", token }));
    expect(data(ok).status).toBe("OK");
    expect(ok.deliveries[0]!.topic).toBe("geral");
    expect(s1.lines.join("\n")).toContain("refused publish as 'ana' without a token");
  });

  it("message from the name needs the token; messages to it go out on $private/<dst>", () => {
    const fake = s1.svc.handle(req("message", { src: "ana", dst: "bob", message: "fake" }));
    expect(data(fake).status).toBe("erro");
    expect(data(fake).message).toContain("'ana' is a registered name");
    expect(s1.store.count()).toBe(0);
    const fromAna = s1.svc.handle(req("message", { src: "ana", dst: "bob", message: "hi bob", token }));
    expect(data(fromAna).status).toBe("OK");
    expect(fromAna.deliveries[0]!.topic).toBe("bob"); // bob is not registered: the contract's topic
    const toAna = s1.svc.handle(req("message", { src: "bob", dst: "ana", message: "hi ana" }));
    expect(data(toAna).status).toBe("OK");
    expect(toAna.deliveries[0]!.topic).toBe("$private/ana");
    expect(toAna.deliveries[0]!.payload).toMatchObject({ service: "message", data: { src: "bob", dst: "ana", message: "hi ana" } });
  });

  it("private history of the name needs the token; channel history stays public", () => {
    s1.svc.handle(req("message", { src: "bob", dst: "ana", message: "psst" }));
    s1.svc.handle(req("publish", { user: "ana", channel: "geral", message: "public", token }));
    const peek = data(s1.svc.handle(req("history", { user: "ana", peer: "bob" })));
    expect(peek.status).toBe("erro");
    expect(peek.description).toContain("'ana' is a registered name");
    expect(peek.messages).toBeUndefined();
    const wrong = data(s1.svc.handle(req("history", { user: "ana", peer: "bob", token: "x" })));
    expect(wrong.status).toBe("erro");
    const mine = data(s1.svc.handle(req("history", { user: "ana", peer: "bob", token })));
    expect(mine.messages.map((m: any) => m.message)).toEqual(["psst"]);
    const channel = data(s1.svc.handle(req("history", { channel: "geral" })));
    expect(channel.messages.map((m: any) => m.message)).toEqual(["public"]);
  });

  it("the session service says whether a token is a live session of the name", () => {
    expect(data(s1.svc.handle(req("session", { user: "ana", token })))).toMatchObject({ status: "sucesso" });
    expect(data(s1.svc.handle(req("session", { user: "ana", token: "nope" })))).toMatchObject({ status: "erro", description: "not a session of 'ana'" });
    expect(data(s1.svc.handle(req("session", { user: "bob", token })))).toMatchObject({ status: "erro", description: "name 'bob' is not registered" });
    expect(data(s1.svc.handle(req("session", { user: "ana" })))).toMatchObject({ status: "erro", description: "missing field 'token'" });
  });

  it("unregistered names work exactly as the contract says, and a token sent for one is ignored", () => {
    expect(data(s1.svc.handle(req("publish", { user: "bob", channel: "geral", message: "plain" }))).status).toBe("OK");
    expect(data(s1.svc.handle(req("publish", { user: "bob", channel: "geral", message: "plain", token: "whatever" }))).status).toBe("OK");
    const m = s1.svc.handle(req("message", { src: "bob", dst: "bob", message: "note to self" }));
    expect(m.deliveries[0]!.topic).toBe("bob");
    expect(data(s1.svc.handle(req("history", { user: "bob", peer: "ana" }))).status).toBe("OK");
  });
});

/** Applies `from`'s records (all origins) to `to`, in the order given. */
function replicate(from: Store, to: Store): void {
  for (const [origin, top] of Object.entries(from.vector())) for (const r of from.since(origin, 0, top)) to.apply(r);
}

describe("across replicas", () => {
  it("a token granted on one server is accepted on another once replicated", async () => {
    const s2 = replica("s2");
    const token = (await login(s1, "ana", "s3cret")).token;
    replicate(s1.store, s2.store);
    s2.svc.handle(req("channel", { channel: "geral" }));
    expect(data(s2.svc.handle(req("session", { user: "ana", token }))).status).toBe("sucesso");
    expect(data(s2.svc.handle(req("publish", { user: "ana", channel: "geral", message: "via s2", token }))).status).toBe("OK");
    expect(data(s2.svc.handle(req("publish", { user: "ana", channel: "geral", message: "fake" }))).status).toBe("erro");
    expect((await login(s2, "ana")).status).toBe("erro");
    expect((await login(s2, "ana", "s3cret")).status).toBe("sucesso");
  });

  it("concurrent registrations: the first claim in history order wins on every server, whatever the arrival order", async () => {
    const s2 = replica("s2");
    const s3 = replica("s3");
    const one = (await login(s1, "ana", "one")).token;
    const two = (await login(s2, "ana", "two")).token;
    // Both claims carry clock 2 (a fresh clock each); origin breaks the tie: s1 < s2.
    replicate(s2.store, s1.store);
    replicate(s1.store, s2.store);
    replicate(s2.store, s3.store); // s3 gets s2's records first, then s1's
    for (const r of [s1, s2, s3]) {
      expect(r.store.claimOf("ana")!.id).toBe("s1:2");
      expect(data(r.svc.handle(req("session", { user: "ana", token: one }))).status).toBe("sucesso");
      expect(data(r.svc.handle(req("session", { user: "ana", token: two }))).status).toBe("erro");
      expect((await login(r, "ana", "one")).status).toBe("sucesso");
      expect((await login(r, "ana", "two")).description).toBe("wrong password for 'ana'");
    }
  });
});

describe("data directories", () => {
  it("opens a version-1 database, keeps its records and migrates it to hold owned names", async () => {
    const dir = scratch.dir();
    const db = new Database(join(dir, "chat.sqlite"), { create: true });
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE records (
        origin TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
        user TEXT, channel TEXT, src TEXT, dst TEXT, message TEXT,
        timestamp REAL NOT NULL, clock INTEGER NOT NULL,
        conv TEXT, hidden INTEGER NOT NULL DEFAULT 0,
        UNIQUE (origin, seq)
      );
      CREATE UNIQUE INDEX records_id ON records(id) WHERE hidden = 0;
      CREATE TABLE users (name TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE channels (name TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE vector (origin TEXT PRIMARY KEY, contiguous INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO meta VALUES ('schema', '1'), ('server', 'old'), ('digest', '0'), ('count', '0');
      INSERT INTO records VALUES ('old', 1, 'login', 'old:1', 'ana', NULL, NULL, NULL, NULL, 1, 1, NULL, 0);
      INSERT INTO users VALUES ('ana');
      INSERT INTO vector VALUES ('old', 1);
    `);
    db.close();
    const store = scratch.store("old", {}, dir);
    expect(store.users()).toEqual(["ana"]);
    expect(store.since("old", 0, 10)).toEqual([{ origin: "old", seq: 1, kind: "login", id: "old:1", user: "ana", timestamp: 1, clock: 1 }]);
    const svc = new ChatService(store, { serverName: "old", clock: new LamportClock(store.maxClock()), now: () => ++t });
    const { status, token } = data(await svc.serve(req("login", { user: "ana", password: "pw" })));
    expect(status).toBe("sucesso");
    store.close();
    const again = openStore(dir, "old");
    expect(again.claimOf("ana")).toBeDefined();
    expect(again.hasSession("ana", sha256(token))).toBe(true);
    const meta = new Database(join(dir, "chat.sqlite"));
    expect(meta.query("SELECT value FROM meta WHERE key = 'schema'").get()).toEqual({ value: "2" });
    meta.close();
    again.close();
  });
});
