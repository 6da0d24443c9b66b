/**
 * The endpoint options alone, for code that needs every endpoint at once
 * (flag > environment variable > the contract's port); flags, variables
 * and ports are declared in options.ts.
 *
 * @module
 */
import { ENDPOINT_KEYS, resolveOptions, type EndpointKey, type Env } from "./options.ts";

export { ConfigError, toEndpoint } from "./options.ts";

export type EndpointName = EndpointKey;
export type Endpoints = Record<EndpointName, string>;

/**
 * Every endpoint from `opts` (option keys: `brokerFrontend`, `host`…),
 * then the environment, then the defaults, in the form for binding or
 * connecting. Throws ConfigError on a value that is neither a port nor an
 * endpoint.
 */
export function resolveEndpoints(opts: Record<string, unknown>, mode: "bind" | "connect", env: Env = process.env): Endpoints {
  const { values } = resolveOptions([...ENDPOINT_KEYS, "host"], opts, env, mode === "bind" ? ENDPOINT_KEYS : []);
  const out = {} as Endpoints;
  for (const k of ENDPOINT_KEYS) out[k] = values[k];
  return out;
}
