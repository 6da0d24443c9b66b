/**
 * The page's chat: its windows, what it tells the gateway and what it
 * does with what comes back. After every (re)connection it logs in again,
 * joins its channels again, sends what was queued while it was down (each
 * post once: a resend carries the same id, which the cluster stores once)
 * and fills each window's gap from history, so nothing is lost or shown
 * twice. What it must remember (windows, what was read, the queue) it
 * keeps in the browser's storage; the gateway keeps nothing.
 *
 * @module
 */
import { actionText, readAction } from "../shared/web/action.ts";
import { DEFAULT_PAGE, WS_PATH, windowKey, type Delivery } from "../shared/web/protocol.ts";
import { HELP, parseInput, type Cmd } from "./commands.ts";
import { Connection, RequestError } from "./connection.ts";
import { loadSaved, storeSaved, type Queued } from "./saved.ts";
import { append, confirm, countUnread, fail, markRead, mergeLatest, newWindow, notice, oldestRef, prependOlder, toLine, type Line, type Win } from "./windows.ts";

export interface ChatEnv {
  /** The gateway's WebSocket URL. */
  url: string;
  storage: Pick<Storage, "getItem" | "setItem"> | null;
  /** Whether the page is being looked at. */
  visible: () => boolean;
  /** Shows a notification (the page decides whether it may). */
  notify: (title: string, body: string, key: string) => void;
}

/** Why the login was refused; `password`: the name is registered and its password is missing or wrong. */
export interface LoginError {
  text: string;
  password: boolean;
}

export interface Status {
  link: "connecting" | "online" | "offline";
  /** Whether the cluster answers (as the gateway last saw). */
  cluster: boolean;
  why?: string;
  /** When the next attempt to connect is due. */
  retryAt?: number;
}

/** The WebSocket URL of the page's own origin. */
export function gatewayUrl(loc: Location): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}${WS_PATH}`;
}

/** A fresh message id: 16 hex digits. */
export function newId(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

export class Chat {
  windows: Win[] = [];
  active: string | null = null;
  status: Status = { link: "connecting", cluster: true };
  /** Set when the gateway refused the login: the page goes back to the login form. */
  loginError: LoginError | null = null;
  /** Names seen, for completion. */
  readonly users = new Set<string>();
  /** Bumped on every change; the view re-renders on it. */
  version = 0;
  private outbox: Queued[] = [];
  private flushing = false;
  private flushAgain = false;
  private readonly conn: Connection;
  private readonly listeners = new Set<() => void>();
  private scheduled = false;
  private retry: ReturnType<typeof setTimeout> | null = null;
  /**
   * The name's password, if the user gave one. It lives in this object
   * only, never in storage or the URL. Each socket to the gateway is a new
   * cluster session, so every reconnection logs in with it again while
   * the tab holds it; a logout forgets it, and a reload loses it (the form
   * asks for it again).
   */
  private password: string | undefined;

  constructor(
    readonly me: string,
    private readonly env: ChatEnv,
    password?: string,
  ) {
    this.password = password;
    this.restore();
    this.conn = new Connection(env.url, {
      open: () => void this.connected(),
      closed: (ms, why) => this.update(() => (this.status = { link: "offline", cluster: this.status.cluster, why, retryAt: Date.now() + ms })),
      frame: (f) => {
        if (f.t === "msg") this.receive(f.m);
        else if (f.t === "reach") this.update(() => (this.status = { ...this.status, cluster: f.ok, why: f.why }));
        else if (f.t === "bye") this.update(() => (this.status = { ...this.status, why: f.reason }));
      },
    });
  }

  start(): void {
    this.conn.connect();
  }

  /** Logs out: closes the socket for good. */
  stop(): void {
    this.password = undefined;
    this.conn.stop();
    if (this.retry) clearTimeout(this.retry);
  }

  reconnectNow(): void {
    this.conn.retryNow();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  get queued(): number {
    return this.outbox.length;
  }

  get current(): Win | undefined {
    return this.windows.find((w) => w.key === this.active);
  }

  /** Opens a window (creating it), marks it read and loads its last messages the first time. */
  open(key: string, load = true): void {
    const w = this.window(key);
    this.active = key;
    markRead(w, false);
    this.update();
    if (load && !w.loaded) void this.loadLatest(w);
  }

  /** The page came back into view: what came meanwhile in the open window is read now. */
  seen(): void {
    const w = this.current;
    if (w && w.unread > 0) this.update(() => markRead(w, false));
  }

  /** Runs one line of input in the open window. */
  async input(line: string): Promise<void> {
    await this.run(parseInput(line));
  }

  /** Fetches the page of messages before the oldest one shown; resolves with how many came. */
  async loadOlder(key: string): Promise<number> {
    const w = this.windows.find((x) => x.key === key);
    if (!w || !w.more || w.loading || this.status.link !== "online") return 0;
    w.loading = true;
    try {
      const before = oldestRef(w);
      const r = await this.conn.request({ t: "history", ...target(w), limit: DEFAULT_PAGE, ...(before !== undefined ? { before } : {}) });
      return prependOlder(w, r.messages.map((m) => this.line(m)), r.more);
    } catch (e) {
      if ((e as RequestError).code !== "disconnected") notice(w, (e as Error).message, "error");
      return 0;
    } finally {
      w.loading = false;
      this.update();
    }
  }

  private async run(c: Cmd): Promise<void> {
    const w = this.current;
    const say = (text: string) => {
      if (!w) return this.tell(null, "join a channel first: /join #channel", "error");
      this.queue(w, text);
    };
    switch (c.kind) {
      case "none":
        return;
      case "error":
        return this.tell(w, c.error, "error");
      case "say":
        return say(c.text);
      case "me":
        return say(actionText(c.text));
      case "help":
        for (const h of HELP) this.tell(w, h);
        return;
      case "join":
        return this.join(c.channel);
      case "part":
      case "close": {
        const key = c.kind === "part" && c.channel ? `#${c.channel}` : this.active;
        if (!key) return this.tell(w, "no window to close", "error");
        return this.close(key);
      }
      case "query":
      case "msg": {
        const q = this.window(`@${c.user}`);
        if (c.kind === "query") this.open(q.key);
        if (c.text !== undefined) this.queue(q, c.text);
        return;
      }
      case "list":
      case "users":
        try {
          const r = c.kind === "list" ? (await this.conn.request({ t: "channels" })).channels : (await this.conn.request({ t: "users" })).users;
          this.tell(w, `${c.kind === "list" ? "channels" : "users"} (${r.length}): ${[...r].sort().join(", ") || "none"}`);
        } catch (e) {
          this.tell(w, (e as Error).message, "error");
        }
    }
  }

  /** Joins a channel and opens its window. */
  async join(channel: string): Promise<void> {
    const key = `#${channel}`;
    const fresh = !this.windows.some((w) => w.key === key);
    const w = this.window(key);
    // A new channel's history comes once the join made sure it exists.
    this.open(key, !fresh);
    if (!fresh || this.status.link !== "online") return;
    try {
      const r = await this.conn.request({ t: "join", channel });
      if (r.created) this.tell(w, `created #${channel}`);
      await this.loadLatest(w);
    } catch (e) {
      this.tell(w, (e as Error).message, "error");
    }
  }

  /** Closes a window, leaving its channel. */
  close(key: string): void {
    const w = this.windows.find((x) => x.key === key);
    if (!w) return;
    if (w.type === "channel" && this.status.link === "online") void this.conn.request({ t: "part", channel: w.name }).catch(() => {});
    this.outbox = this.outbox.filter((q) => q.key !== key);
    this.update(() => {
      const i = this.windows.indexOf(w);
      this.windows.splice(i, 1);
      if (this.active === key) this.active = (this.windows[i] ?? this.windows[i - 1])?.key ?? null;
    });
    if (this.current) this.open(this.current.key);
  }

  private queue(w: Win, text: string): void {
    const id = newId();
    append(w, this.pendingLine(id, text));
    this.outbox.push({ key: w.key, id, text });
    this.update();
    void this.flush();
  }

  /** Sends the queue in order, one at a time; stops when the link or the cluster is down, to go on later. */
  private async flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      while (this.outbox.length > 0 && this.status.link === "online") {
        const q = this.outbox[0]!;
        const w = this.window(q.key);
        try {
          const r = q.key.startsWith("#")
            ? await this.conn.request({ t: "publish", channel: q.key.slice(1), text: q.text, id: q.id })
            : await this.conn.request({ t: "message", dst: q.key.slice(1), text: q.text, id: q.id });
          confirm(w, q.id, r.timestamp);
        } catch (e) {
          const code = (e as RequestError).code;
          if (code === "disconnected") break;
          if (code === "unreachable" || code === "busy") {
            this.later(() => void this.flush(), 2000);
            break;
          }
          fail(w, q.id, (e as Error).message);
        }
        this.outbox.shift();
        this.update();
      }
    } finally {
      this.flushing = false;
      this.update();
    }
    // Asked again while a round was under way (a reconnect while one was cut short): go again.
    if (this.flushAgain) {
      this.flushAgain = false;
      void this.flush();
    }
  }

  /** A new socket: log in, join again, send the queue, fill the gaps. */
  private async connected(): Promise<void> {
    this.update(() => (this.status = { link: "connecting", cluster: this.status.cluster }));
    try {
      await this.conn.request(this.password === undefined ? { t: "login", user: this.me } : { t: "login", user: this.me, password: this.password });
    } catch (e) {
      const err = e as RequestError;
      if (err.code === "disconnected") return;
      if (err.code === "unreachable" || err.code === "busy") {
        this.update(() => (this.status = { link: "connecting", cluster: false, why: err.message }));
        return this.later(() => this.conn.state === "open" && void this.connected(), 2000);
      }
      const registered = err.code === "password";
      this.loginError = { text: registered ? passwordText(this.me, this.password !== undefined) : err.message, password: registered };
      this.stop();
      return this.update();
    }
    this.update(() => (this.status = { link: "online", cluster: true }));
    this.users.add(this.me);
    const channels = this.windows.filter((w) => w.type === "channel");
    await Promise.all(channels.map((w) => this.conn.request({ t: "join", channel: w.name }).catch((e: Error) => this.tell(w, e.message, "error"))));
    await this.flush();
    for (const w of this.windows) void this.loadLatest(w);
    void this.conn.request({ t: "users" }).then((r) => r.users.forEach((u) => this.users.add(u)), () => {});
  }

  /** Fetches the latest page and merges it in: the last messages on open, the gap after a reconnect. */
  private async loadLatest(w: Win): Promise<void> {
    if (this.status.link !== "online") return;
    try {
      const r = await this.conn.request({ t: "history", ...target(w), limit: DEFAULT_PAGE });
      const seen = w.key === this.active && this.env.visible();
      for (const l of mergeLatest(w, r.messages.map((m) => this.line(m)), r.more)) countUnread(w, l, seen);
      w.loaded = true;
      if (seen) markRead(w, true);
    } catch (e) {
      if ((e as RequestError).code !== "disconnected") notice(w, (e as Error).message, "error");
    }
    this.update();
  }

  private receive(m: Delivery): void {
    const key = windowKey(m, this.me);
    if (key.startsWith("#") && !this.windows.some((w) => w.key === key)) return;
    // A conversation opened by this message counts it as unread.
    const w = this.window(key, m.timestamp - 1);
    const l = this.line(m);
    if (!append(w, l)) return this.update();
    const looking = this.env.visible();
    countUnread(w, l, looking && w.key === this.active);
    if (l.mention && !looking) this.env.notify(w.type === "channel" ? `${l.from} in ${w.key}` : `${l.from ?? w.name} (private)`, l.text, w.key);
    this.update();
  }

  /** An own post, shown at once, marked pending until it is stored. */
  private pendingLine(id: string, text: string): Line {
    const action = readAction(text);
    return { key: id, id, from: this.me, text: action ?? text, timestamp: Date.now(), kind: action !== null ? "action" : "message", own: true, mention: false, state: "pending" };
  }

  private line(m: Delivery): Line {
    const l = toLine(m, this.me);
    if (l.from) this.users.add(l.from);
    return l;
  }

  /** The window with this key, created (not opened) if needed; a new one counts as read up to `readUpTo`. */
  private window(key: string, readUpTo = Date.now()): Win {
    let w = this.windows.find((x) => x.key === key);
    if (!w) {
      w = newWindow(key, readUpTo);
      const channels = this.windows.filter((x) => x.type === "channel").length;
      if (w.type === "channel") this.windows.splice(channels, 0, w);
      else this.windows.push(w);
    }
    return w;
  }

  private tell(w: Win | null | undefined, text: string, kind: "notice" | "error" = "notice"): void {
    const into = w ?? this.current;
    if (into) this.update(() => notice(into, text, kind));
  }

  private later(f: () => void, ms: number): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = null;
      f();
    }, ms);
  }

  private update(f?: () => void): void {
    f?.();
    this.version++;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.save();
      for (const fn of [...this.listeners]) fn();
    });
  }

  private save(): void {
    storeSaved(this.env.storage, this.me, { windows: this.windows.map((w) => ({ key: w.key, lastRead: w.lastRead })), active: this.active, outbox: this.outbox });
  }

  private restore(): void {
    const saved = loadSaved(this.env.storage, this.me);
    for (const s of saved.windows) this.window(s.key).lastRead = s.lastRead;
    for (const q of saved.outbox) {
      append(this.window(q.key), this.pendingLine(q.id, q.text));
      this.outbox.push(q);
    }
    this.active = this.windows.some((w) => w.key === saved.active) ? saved.active : (this.windows[0]?.key ?? null);
  }
}

function passwordText(me: string, sent: boolean): string {
  return sent ? `Wrong password for ${me}. Try again.` : `${me} is a registered name: enter its password.`;
}

function target(w: Win): { channel: string } | { peer: string } {
  return w.type === "channel" ? { channel: w.name } : { peer: w.name };
}
