/**
 * Every command-line option of every role, declared once: flag, value
 * placeholder, environment variable, default, bounds and help text. A
 * role picks the ones it uses (`roleOptions` in cli.ts); this module turns
 * a raw value (flag, then environment, then default) into a checked,
 * typed one, and a bad value into a ConfigError that names the flag.
 *
 * Endpoint options take a bare port or a full endpoint: `5555` becomes
 * `tcp://*:5555` where the role binds and `tcp://<host>:5555` where it
 * connects (`--host`), `tcp://10.0.0.2:5555` stays as it is.
 *
 * @module
 */
import { validateName } from "../wire/validate.ts";

/** A bad option value, or a flag this program does not know. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

interface Common {
  /** The flag without its dashes: `heartbeat-ms`. */
  flag: string;
  /** Older spellings still accepted (not shown in help). */
  aliases?: readonly string[];
  env?: string;
  help: string;
}

/** A port or endpoint; its default is a port. */
export interface EndpointSpec extends Common {
  kind: "endpoint";
  placeholder: string;
  port: number;
  /** Said after the default port in help. */
  unset?: string;
}

export interface StringSpec extends Common {
  kind: "string";
  placeholder: string;
  default?: string;
  /** What happens without a value, when there is no fixed default. */
  unset?: string;
  /** Checked as a user, channel or server name. */
  nameKind?: "user" | "channel" | "server";
}

export interface NumberSpec extends Common {
  kind: "number";
  placeholder: string;
  default?: number;
  unset?: string;
  min: number;
  max?: number;
  whole?: boolean;
}

/** Off unless given; a `no-` flag turns something off. */
export interface BooleanSpec extends Common {
  kind: "boolean";
}

export type OptionSpec = EndpointSpec | StringSpec | NumberSpec | BooleanSpec;

/** The table. Keys are what code reads; flags are what people type. */
export const OPTIONS = {
  // Endpoints (the contract's ports) and the host a bare port connects to.
  brokerFrontend: { kind: "endpoint", flag: "broker-frontend", placeholder: "endpoint", env: "BROKER_FRONTEND", port: 5555, help: "broker's client side (ROUTER)" },
  brokerBackend: { kind: "endpoint", flag: "broker-backend", placeholder: "endpoint", env: "BROKER_BACKEND", port: 5556, help: "broker's server side (DEALER)" },
  proxyXsub: { kind: "endpoint", flag: "proxy-xsub", placeholder: "endpoint", env: "PROXY_XSUB", port: 5557, help: "proxy's publisher side (XSUB)" },
  proxyXpub: { kind: "endpoint", flag: "proxy-xpub", placeholder: "endpoint", env: "PROXY_XPUB", port: 5558, help: "proxy's subscriber side (XPUB)" },
  ref: { kind: "endpoint", flag: "ref", placeholder: "endpoint", env: "REF", port: 5559, help: "reference server (REP)" },
  peer: { kind: "endpoint", flag: "peer", placeholder: "endpoint", env: "PEER", port: 5560, unset: "or the first free port above it", help: "this server's peer endpoint (ROUTER)" },
  host: { kind: "string", flag: "host", placeholder: "host", env: "BBS_HOST", default: "127.0.0.1", help: "host a bare port connects to; a server's peer address names it too, unless --advertise-host" },
  advertiseHost: { kind: "string", flag: "advertise-host", placeholder: "host", env: "ADVERTISE_HOST", unset: "the --host value", help: "host a server's peer address names, where other servers connect to it" },
  // Log output.
  json: { kind: "boolean", flag: "json", help: "print JSON, one object per line" },
  quiet: { kind: "boolean", flag: "quiet", help: "log nothing" },
  // Cluster trust (cluster-trust.ts).
  keysDir: { kind: "string", flag: "keys-dir", placeholder: "dir", env: "KEYS_DIR", unset: "<data-dir>/keys", help: "the cluster's CURVE key pair (made on first start) and trusted.keys" },
  open: { kind: "boolean", flag: "open", env: "CLUSTER_OPEN", help: "internal ports unauthenticated, for mixing with other teams' servers: anyone on the network can then act as a server" },
  // Server and ref.
  name: { kind: "string", flag: "name", placeholder: "name", env: "SERVER_NAME", default: "server1", nameKind: "server", help: "server name (its rank and data directory follow it)" },
  dataDir: { kind: "string", flag: "data-dir", placeholder: "dir", env: "DATA_DIR", default: "data", help: "parent of the data directories (<dir>/<name>/ for a server, <dir>/ref/ for the ref)" },
  heartbeatMs: { kind: "number", flag: "heartbeat-ms", placeholder: "ms", env: "HEARTBEAT_MS", default: 1000, min: 1, help: "servers' heartbeat and ref-list period; three missed ones drop a server" },
  skew: { kind: "number", flag: "skew", placeholder: "ms", env: "SKEW_MS", min: -3_600_000, max: 3_600_000, unset: "random within ±1000", help: "initial wall-clock skew, 0 for none" },
  clockSyncMs: { kind: "number", flag: "clock-sync-ms", aliases: ["sync-ms"], placeholder: "ms", env: "CLOCK_SYNC_MS", default: 5000, min: 1, help: "period of the coordinator's Berkeley clock-sync rounds" },
  noReplication: { kind: "boolean", flag: "no-replication", help: "keep only the writes this server accepts (a benchmark baseline; loses data when a server dies)" },
  fsyncAlways: { kind: "boolean", flag: "fsync-always", env: "FSYNC_ALWAYS", help: "fsync every commit, even while other servers must hold each write first" },
  minReplicas: { kind: "number", flag: "min-replicas", placeholder: "n", env: "MIN_REPLICAS", default: 1, min: 0, whole: true, help: "other servers that must hold a write before it is acknowledged" },
  antiEntropyMs: { kind: "number", flag: "anti-entropy-ms", placeholder: "ms", env: "ANTI_ENTROPY_MS", default: 2000, min: 1, whole: true, help: "period of the replicas' catch-up (anti-entropy) rounds" },
  ackTimeoutMs: { kind: "number", flag: "ack-timeout-ms", placeholder: "ms", env: "ACK_TIMEOUT_MS", default: 1500, min: 1, whole: true, help: "longest wait for replicas before a write is refused with 'retry'" },
  // Client and bot.
  user: { kind: "string", flag: "user", placeholder: "name", nameKind: "user", unset: "the client's config file's nick, else asked for; bot-<4 random hex digits> for a bot", help: "user name" },
  secure: { kind: "boolean", flag: "secure", env: "CHAT_SECURE", help: "talk to the broker and the proxy over CURVE (encrypted), checking the cluster's public key (--server-key)" },
  serverKey: { kind: "string", flag: "server-key", placeholder: "key|file", env: "CHAT_SERVER_KEY", unset: "<data-dir>/keys/cluster.key", help: "with --secure: the cluster's public key, Z85, or its certificate file (cluster.key)" },
  password: { kind: "string", flag: "password", placeholder: "password", env: "CHAT_PASSWORD", unset: "the client's config file's password, else none (asked for when the name is registered)", help: "the user name's password: registers the name if nobody has, else must match (prefer CHAT_PASSWORD: a flag shows in ps)" },
  timeout: { kind: "number", flag: "timeout", placeholder: "ms", default: 2000, min: 1, max: 600_000, whole: true, help: "wait for each reply this long" },
  retries: { kind: "number", flag: "retries", placeholder: "n", default: 2, min: 0, max: 100, whole: true, help: "extra attempts, each on a fresh socket, before a request fails" },
  rate: { kind: "number", flag: "rate", placeholder: "msgs/s", default: 2, min: 0.01, max: 10_000, help: "messages per second" },
  pmChance: { kind: "number", flag: "pm-chance", placeholder: "p", default: 0.1, min: 0, max: 1, help: "chance per burst of also sending a private message" },
  count: { kind: "number", flag: "count", placeholder: "n", min: 0, whole: true, unset: "never", help: "stop after this many channel posts" },
  channel: { kind: "string", flag: "channel", placeholder: "name", default: "geral", nameKind: "channel", help: "channel to create when there is none" },
  verbose: { kind: "boolean", flag: "verbose", help: "show the protocol log in the conversation windows too (not only in window 1)" },
  noColor: { kind: "boolean", flag: "no-color", help: "no colours (also NO_COLOR=1, or \"colors\": false in the config file)" },
  // Web gateway.
  webPort: { kind: "number", flag: "web-port", placeholder: "port", env: "WEB_PORT", default: 8080, min: 0, max: 65535, whole: true, help: "port the web gateway serves the page and its WebSocket on (0: any free port)" },
  webListen: { kind: "string", flag: "web-listen", placeholder: "address", env: "WEB_LISTEN", default: "127.0.0.1", help: "address the web gateway listens on (0.0.0.0 for every interface)" },
  webMaxSessions: { kind: "number", flag: "web-max-sessions", placeholder: "n", env: "WEB_MAX_SESSIONS", default: 5000, min: 1, max: 100_000, whole: true, help: "browser sessions the web gateway holds at once; more are turned away" },
  // Status view.
  once: { kind: "boolean", flag: "once", help: "print once and exit" },
  interval: { kind: "number", flag: "interval", placeholder: "ms", default: 1000, min: 1, help: "refresh period" },
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;
/** The endpoint options' keys. */
export type EndpointKey = { [K in OptionKey]: (typeof OPTIONS)[K] extends { kind: "endpoint" } ? K : never }[OptionKey];

type ValueOf<S> = S extends { kind: "boolean" } ? boolean
  : S extends { kind: "endpoint" } ? string
  : S extends { kind: "string"; default: string } ? string
  : S extends { kind: "string" } ? string | undefined
  : S extends { kind: "number"; default: number } ? number
  : number | undefined;

/** The checked values of the options `K`. */
export type OptionValues<K extends OptionKey> = { [P in K]: ValueOf<(typeof OPTIONS)[P]> };

export type Env = Record<string, string | undefined>;

export const ENDPOINT_KEYS = (Object.keys(OPTIONS) as OptionKey[]).filter((k): k is EndpointKey => OPTIONS[k].kind === "endpoint");

const spec = (k: OptionKey): OptionSpec => OPTIONS[k];

/** The cac form of an option: `--heartbeat-ms <ms>`, `--quiet`. */
export function flagSyntax(k: OptionKey): string {
  const s = spec(k);
  return s.kind === "boolean" ? `--${s.flag}` : `--${s.flag} <${s.placeholder}>`;
}

/** The help line's text: what it does, its variable and its default. */
export function helpText(k: OptionKey, bind = false): string {
  const s = spec(k);
  const notes: string[] = [];
  if (s.env) notes.push(s.kind === "boolean" ? `env ${s.env}=1` : `env ${s.env}`);
  if (s.kind === "endpoint") notes.push(`default ${bind ? `*:${s.port}` : s.port}${s.unset ? ` ${s.unset}` : ""}`);
  else if (s.kind !== "boolean") {
    if (s.default !== undefined) notes.push(`default ${s.default}`);
    else if (s.unset) notes.push(`default ${s.unset}`);
    if (s.kind === "number") notes.push(s.max === undefined ? `≥ ${s.min}` : s.min === -s.max ? `at most ±${s.max}` : `${s.min} to ${s.max}`);
  }
  const text = s.kind === "endpoint" ? `${s.help}, a port or tcp://host:port` : s.help;
  return notes.length ? `${text} (${notes.join(", ")})` : text;
}

/** The flags each option is known by, without dashes. */
export function flagNames(k: OptionKey): string[] {
  const s = spec(k);
  return [s.flag, ...(s.aliases ?? [])];
}

/** Every flag the table knows, without dashes: flags of other roles are accepted and ignored. */
export const KNOWN_FLAGS: ReadonlySet<string> = new Set((Object.keys(OPTIONS) as OptionKey[]).flatMap(flagNames));

/** Where a value came from, for error messages. */
type Source = { flag: string; env?: string };
const label = (src: Source) => (src.env ? `--${src.flag} (from ${src.env})` : `--${src.flag}`);

/**
 * Resolves the options `keys`: `given` holds flag values by option key
 * (the last one when a flag was repeated), then `env`, then the table's
 * default. Endpoint options in `bind` take the bind form, the others the
 * connect form through `host`. Returns the values and the keys given by
 * flag or environment; throws ConfigError on a bad value.
 */
export function resolveOptions<K extends OptionKey>(
  keys: readonly K[],
  given: Partial<Record<OptionKey, unknown>>,
  env: Env,
  bind: readonly OptionKey[] = [],
): { values: OptionValues<K>; given: Set<K> } {
  const out: Partial<Record<OptionKey, unknown>> = {};
  const present = new Set<K>();
  const rawOf = (k: OptionKey): { raw: unknown; src: Source } | undefined => {
    const s = spec(k);
    let raw = given[k];
    if (Array.isArray(raw)) raw = raw.at(-1);
    if (raw !== undefined) return { raw, src: { flag: s.flag } };
    const e = s.env === undefined ? undefined : env[s.env];
    return e === undefined ? undefined : { raw: e, src: { flag: s.flag, env: s.env } };
  };
  const connects = keys.some((k) => spec(k).kind === "endpoint" && !bind.includes(k));
  if (connects && !keys.includes("host" as K)) throw new Error("an option list with connecting endpoints must include 'host'");
  // The host first: connecting endpoints use it.
  const ordered = [...keys].sort((a, b) => Number(b === "host") - Number(a === "host"));
  for (const k of ordered) {
    const s = spec(k);
    const r = rawOf(k);
    if (r !== undefined) present.add(k);
    out[k] = checked(s, r, bind.includes(k) ? "bind" : "connect", out.host as string | undefined);
  }
  return { values: out as OptionValues<K>, given: present };
}

function checked(s: OptionSpec, r: { raw: unknown; src: Source } | undefined, mode: "bind" | "connect", host: string | undefined): unknown {
  if (s.kind === "boolean") return r === undefined ? false : toBoolean(r.raw, r.src);
  if (r !== undefined && (typeof r.raw === "boolean" || r.raw === null)) throw new ConfigError(`${label(r.src)} needs a value`);
  switch (s.kind) {
    case "endpoint":
      return toEndpoint(r ? label(r.src) : `--${s.flag}`, r?.raw ?? s.port, mode, host);
    case "string": {
      if (r === undefined) return s.default;
      const v = String(r.raw);
      const err = s.nameKind ? validateName(s.nameKind, v) : v === "" ? "must not be empty" : null;
      if (err) throw new ConfigError(`${label(r.src)}: ${err}`);
      return v;
    }
    case "number":
      return r === undefined ? s.default : toNumber(s, r.raw, r.src);
  }
}

function toNumber(s: NumberSpec, raw: unknown, src: Source): number {
  const n = typeof raw === "number" ? raw : String(raw).trim() === "" ? NaN : Number(raw);
  const range = s.max === undefined ? `≥ ${s.min}` : `from ${s.min} to ${s.max}`;
  const what = s.whole ? "a whole number" : "a number";
  if (!Number.isFinite(n) || n < s.min || (s.max !== undefined && n > s.max) || (s.whole && !Number.isInteger(n))) {
    throw new ConfigError(`${label(src)} must be ${what} ${range} (got '${raw}')`);
  }
  return n;
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off", ""]);

function toBoolean(raw: unknown, src: Source): boolean {
  if (typeof raw === "boolean") return raw;
  const v = String(raw).trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigError(`${label(src)} must be 1 or 0 (got '${raw}')`);
}

/** `tcp://*:<port>`. */
export function bindAddress(port: number): string {
  return `tcp://*:${port}`;
}

/** `tcp://<host>:<port>`. */
export function connectAddress(host: string, port: number): string {
  return `tcp://${host}:${port}`;
}

/**
 * A port or endpoint value as an endpoint: a bare port in the bind or
 * connect form (host default from the table), a full endpoint unchanged.
 * `what` names the value in the error.
 */
export function toEndpoint(what: string, raw: unknown, mode: "bind" | "connect", host: string = OPTIONS.host.default): string {
  const s = String(raw).trim();
  if (/^\d+$/.test(s)) {
    const port = Number(s);
    if (port > 65535) throw new ConfigError(`${what}: port ${s} out of range`);
    return mode === "bind" ? bindAddress(port) : connectAddress(host, port);
  }
  if (/^(tcp|ipc|inproc):\/\/.+/.test(s)) return s;
  throw new ConfigError(`${what}: '${s}' is neither a port nor an endpoint like tcp://host:port`);
}
