/**
 * Endpoint configuration: flag > environment variable > the contract's default.
 *
 * A value may be a full endpoint (`tcp://10.0.0.2:5555`) or a bare port
 * (`5555`), which becomes `tcp://*:<port>` when binding and
 * `tcp://<host>:<port>` when connecting (host from `--host` / `BBS_HOST`,
 * default 127.0.0.1).
 *
 * | endpoint        | flag                | env var           | default port |
 * | --------------- | ------------------- | ----------------- | ------------ |
 * | brokerFrontend  | `--broker-frontend` | `BROKER_FRONTEND` | 5555 |
 * | brokerBackend   | `--broker-backend`  | `BROKER_BACKEND`  | 5556 |
 * | proxyXsub       | `--proxy-xsub`      | `PROXY_XSUB`      | 5557 |
 * | proxyXpub       | `--proxy-xpub`      | `PROXY_XPUB`      | 5558 |
 * | ref             | `--ref`             | `REF`             | 5559 |
 * | peer            | `--peer`            | `PEER`            | 5560 |
 *
 * @module
 */

export const DEFAULT_PORTS = {
  brokerFrontend: 5555,
  brokerBackend: 5556,
  proxyXsub: 5557,
  proxyXpub: 5558,
  ref: 5559,
  peer: 5560,
} as const;

export type EndpointName = keyof typeof DEFAULT_PORTS;
export type Endpoints = Record<EndpointName, string>;

/** Environment variable for each endpoint. */
export const ENV_VARS: Record<EndpointName, string> = {
  brokerFrontend: "BROKER_FRONTEND",
  brokerBackend: "BROKER_BACKEND",
  proxyXsub: "PROXY_XSUB",
  proxyXpub: "PROXY_XPUB",
  ref: "REF",
  peer: "PEER",
};

/** Flag (as given to cac) for each endpoint. */
export const FLAGS: Record<EndpointName, string> = {
  brokerFrontend: "--broker-frontend <endpoint>",
  brokerBackend: "--broker-backend <endpoint>",
  proxyXsub: "--proxy-xsub <endpoint>",
  proxyXpub: "--proxy-xpub <endpoint>",
  ref: "--ref <endpoint>",
  peer: "--peer <endpoint>",
};

export const DEFAULT_HOST = "127.0.0.1";

/** The one error this module throws. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** `tcp://*:<port>`. */
export function bindAddress(port: number): string {
  return `tcp://*:${port}`;
}

/** `tcp://<host>:<port>`. */
export function connectAddress(host: string, port: number): string {
  return `tcp://${host}:${port}`;
}

/** Registers the endpoint flags, `--host`, on a cac instance or command. */
export function registerEndpointOptions<T extends { option(raw: string, desc: string): T }>(cli: T): T {
  for (const key of Object.keys(FLAGS) as EndpointName[]) {
    cli.option(FLAGS[key], `${key} endpoint or port (env ${ENV_VARS[key]}, default ${DEFAULT_PORTS[key]})`);
  }
  cli.option("--host <host>", `host to connect to (env BBS_HOST, default ${DEFAULT_HOST})`);
  return cli;
}

/**
 * Resolves every endpoint from cac options (camelCase keys), then the
 * environment, then the defaults, in the form for binding or connecting.
 * Throws ConfigError on a value that is neither a port nor an endpoint.
 */
export function resolveEndpoints(
  opts: Record<string, unknown>,
  mode: "bind" | "connect",
  env: Record<string, string | undefined> = process.env,
): Endpoints {
  const host = String(opts.host ?? env.BBS_HOST ?? DEFAULT_HOST);
  const out = {} as Endpoints;
  for (const key of Object.keys(DEFAULT_PORTS) as EndpointName[]) {
    const raw = opts[key] ?? env[ENV_VARS[key]] ?? DEFAULT_PORTS[key];
    out[key] = toEndpoint(key, raw, mode, host);
  }
  return out;
}

/** Converts a port or endpoint value to an endpoint string. */
export function toEndpoint(key: string, raw: unknown, mode: "bind" | "connect", host = DEFAULT_HOST): string {
  const s = String(raw).trim();
  if (/^\d+$/.test(s)) {
    const port = Number(s);
    if (port < 0 || port > 65535) throw new ConfigError(`${key}: port ${s} out of range`);
    return mode === "bind" ? bindAddress(port) : connectAddress(host, port);
  }
  if (/^(tcp|ipc|inproc):\/\/.+/.test(s)) return s;
  throw new ConfigError(`${key}: '${s}' is neither a port nor an endpoint like tcp://host:port`);
}
