/**
 * Whether the client is connected, as a user needs to know it: `up` once
 * a server answered and the proxy (our deliveries) is connected; `down`
 * when a request went unanswered or the proxy connection dropped for more
 * than a moment; then a probe every {@link LinkOptions.probeMs} until a
 * server answers again and the proxy is back, which is `up` again. Each
 * change is reported once, with the reason, so the screen can say
 * "disconnected" and "reconnected" and the queued posts can go out.
 *
 * @module
 */

export type LinkState = "connecting" | "up" | "down";

export interface LinkOptions {
  /** A cheap request; resolves if a server answered (even with a refusal), rejects if none did. */
  probe: () => Promise<unknown>;
  /** Whether the SUB socket has the proxy connected now. */
  proxyConnected: () => boolean;
  /** The proxy's endpoint, for the reason text. */
  proxy: string;
  onChange: (state: LinkState, why: string) => void;
  /** ms between probes while down (default 2000). */
  probeMs?: number;
  /** ms the proxy may be gone before we say so (default 1000). */
  graceMs?: number;
}

export class Link {
  state: LinkState = "connecting";
  /** When the link last went down (for catching up on what was missed). */
  downSince: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private proxyLostAt: number | null = null;
  private probing = false;
  private lastProbe = 0;

  constructor(private readonly o: LinkOptions) {}

  /** Watches the proxy connection and probes while down. */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), 250);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Logged in: up, or down at once if the proxy is not there. */
  loggedIn(): void {
    if (this.o.proxyConnected()) this.set("up", "logged in");
    else {
      this.state = "down";
      this.downSince = Date.now();
      this.o.onChange("down", `no connection to the proxy at ${this.o.proxy}`);
    }
  }

  /** A request's outcome (the session's `onReach`). */
  reached(ok: boolean, why?: string): void {
    if (!ok) return this.set("down", why ?? "no server answered");
    if (this.state === "up") return;
    if (this.o.proxyConnected()) this.set("up", "a server answered");
  }

  private tick(): void {
    const now = Date.now();
    const proxy = this.o.proxyConnected();
    if (proxy) this.proxyLostAt = null;
    else this.proxyLostAt ??= now;
    if (this.state === "up" && this.proxyLostAt !== null && now - this.proxyLostAt >= (this.o.graceMs ?? 1000)) {
      this.set("down", `lost the connection to the proxy at ${this.o.proxy}`);
    }
    if (this.state === "down" && !this.probing && now - this.lastProbe >= (this.o.probeMs ?? 2000)) {
      this.probing = true;
      this.lastProbe = now;
      this.o.probe().then(
        () => {
          this.probing = false;
          if (this.o.proxyConnected()) this.set("up", "a server answers again");
        },
        () => {
          this.probing = false;
        },
      );
    }
  }

  private set(state: LinkState, why: string): void {
    if (state === this.state || (state === "down" && this.state === "connecting")) return;
    this.state = state;
    this.downSince = state === "down" ? Date.now() : this.downSince;
    this.o.onChange(state, why);
  }
}
