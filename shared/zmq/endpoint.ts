/**
 * Endpoint strings: `tcp://host:port`, `tcp://*:port`, `tcp://[::1]:port`,
 * port `0` or `*` for an ephemeral port, and `ipc:///path` (unix socket).
 * @module
 */
import { ZmtpError } from "./errors.ts";

export type Endpoint =
  | { transport: "tcp"; host: string; port: number }
  | { transport: "ipc"; path: string };

/** Parse an endpoint. Throws ZmtpError EINVAL on anything malformed. */
export function parseEndpoint(s: string, forBind = false): Endpoint {
  if (typeof s !== "string") throw new ZmtpError("EINVAL", "endpoint must be a string");
  if (s.startsWith("ipc://")) {
    const path = s.slice(6);
    if (path === "" || path === "*") throw new ZmtpError("EINVAL", `bad ipc endpoint ${s}`);
    return { transport: "ipc", path };
  }
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/\[\]]+):(\d{1,5}|\*)$/.exec(s);
  if (!m) throw new ZmtpError("EINVAL", `bad endpoint ${JSON.stringify(s)} (expected tcp://host:port)`);
  let host = m[1]!;
  if (host.startsWith("[")) host = host.slice(1, -1);
  const port = m[2] === "*" ? 0 : Number(m[2]);
  if (port > 65535) throw new ZmtpError("EINVAL", `bad port in ${s}`);
  if (host === "*") {
    if (!forBind) throw new ZmtpError("EINVAL", `cannot connect to wildcard host in ${s}`);
    host = "0.0.0.0";
  }
  if (!forBind && port === 0) throw new ZmtpError("EINVAL", `cannot connect to port 0 in ${s}`);
  return { transport: "tcp", host, port };
}

/** Format a tcp endpoint as libzmq reports it (`lastEndpoint`). */
export function formatTcp(host: string, port: number): string {
  return host.includes(":") ? `tcp://[${host}]:${port}` : `tcp://${host}:${port}`;
}
