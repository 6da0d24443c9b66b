/**
 * The PLAIN mechanism (RFC 24): a user name and password in the clear,
 * for trusted networks. Client: HELLO(username, password) → WELCOME →
 * INITIATE(metadata) → READY(metadata). The server asks the authenticator
 * about the HELLO and answers WELCOME or ERROR. Frames after the handshake
 * travel as with NULL.
 *
 * libzmq 4.3's PLAIN server spells its ERROR name as the C literal
 * "\x05ERROR", which C reads as the bytes 5e 'R' 'R' 'O' 'R' (the hex escape
 * swallows the E); the client accepts that spelling as an ERROR too.
 * @module
 */
import type { AuthRequest, Verdict } from "./auth.ts";
import { parseProps } from "./command.ts";
import { ZmtpError } from "./errors.ts";
import { commandBody, commandName, denial, refusal, type HandshakeStep, type Mechanism } from "./mechanism.ts";

/** RFC 24: each of user name and password is at most 255 bytes. */
export function plainHello(username: string, password: string): Buffer {
  const u = Buffer.from(username);
  const p = Buffer.from(password);
  if (u.length > 255 || p.length > 255) throw new ZmtpError("EINVAL", "PLAIN user name and password are limited to 255 bytes");
  return commandBody("HELLO", Buffer.from([u.length]), u, Buffer.from([p.length]), p);
}

/** Parse a HELLO body: exactly two length-prefixed strings, nothing after. */
export function parsePlainHello(body: Buffer): { username: string; password: string } {
  let i = 6;
  const ul = body[i];
  if (ul === undefined || i + 1 + ul >= body.length) throw new ZmtpError("EPROTO", "PLAIN: malformed HELLO (user name)");
  const username = body.toString("utf8", i + 1, i + 1 + ul);
  i += 1 + ul;
  const pl = body[i]!;
  if (i + 1 + pl !== body.length) throw new ZmtpError("EPROTO", "PLAIN: malformed HELLO (password)");
  return { username, password: body.toString("utf8", i + 1) };
}

/** The first bytes of libzmq's PLAIN ERROR (see above). */
const LIBZMQ_ERROR = Buffer.from("\x5eRROR", "latin1");

export class PlainClient implements Mechanism {
  readonly name = "PLAIN";
  readonly asServer = false;
  readonly codec = null;
  private state: "welcome" | "ready" | "done" = "welcome";

  constructor(
    private readonly user: string,
    private readonly password: string,
    private readonly metadata: Buffer,
  ) {}

  start(): Buffer[] {
    return [plainHello(this.user, this.password)];
  }

  onCommand(body: Buffer): HandshakeStep {
    if (body.length >= 6 && body.subarray(0, 5).equals(LIBZMQ_ERROR) && this.state !== "done") {
      throw refusal(Buffer.concat([Buffer.from([5]), Buffer.from("E"), body.subarray(1)]), "PLAIN");
    }
    const name = commandName(body);
    if (name === "ERROR" && this.state !== "done") throw refusal(body, "PLAIN");
    if (this.state === "welcome" && name === "WELCOME") {
      if (body.length !== 8) throw new ZmtpError("EPROTO", "PLAIN: malformed WELCOME");
      this.state = "ready";
      return { send: [commandBody("INITIATE", this.metadata)] };
    }
    if (this.state === "ready" && name === "READY") {
      this.state = "done";
      return { send: [], peer: parseProps(body.subarray(6)), done: true };
    }
    const hint = name === "HELLO" ? " (the peer is a PLAIN client too)" : "";
    throw new ZmtpError("EPROTO", `PLAIN: unexpected ${name} command${hint}`);
  }

  onVerdict(_v: Verdict): HandshakeStep {
    throw new ZmtpError("EFSM", "PLAIN client has no authenticator");
  }
}

export class PlainServer implements Mechanism {
  readonly name = "PLAIN";
  readonly asServer = true;
  readonly codec = null;
  username?: string;
  private state: "hello" | "auth" | "initiate" | "done" = "hello";

  constructor(
    private readonly metadata: Buffer,
    private readonly request: Omit<AuthRequest, "mechanism">,
  ) {}

  start(): Buffer[] {
    return [];
  }

  onCommand(body: Buffer): HandshakeStep {
    const name = commandName(body);
    if (this.state === "hello" && name === "HELLO") {
      const { username, password } = parsePlainHello(body);
      this.username = username;
      this.state = "auth";
      return { send: [], auth: { ...this.request, mechanism: "PLAIN", username, password } };
    }
    if (this.state === "initiate" && name === "INITIATE") {
      this.state = "done";
      return { send: [commandBody("READY", this.metadata)], peer: parseProps(body.subarray(9)), done: true };
    }
    const hint = this.state === "auth" ? " while authenticating" : name === "WELCOME" ? " (the peer is a PLAIN server too)" : "";
    throw new ZmtpError("EPROTO", `PLAIN: unexpected ${name} command${hint}`);
  }

  onVerdict(v: Verdict): HandshakeStep {
    if (this.state !== "auth") throw new ZmtpError("EFSM", "PLAIN: no authentication pending");
    if (!v.allow) return denial(v, "PLAIN");
    this.state = "initiate";
    return { send: [commandBody("WELCOME")] };
  }
}
