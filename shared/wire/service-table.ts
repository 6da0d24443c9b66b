/**
 * One table of the services an endpoint serves (ergo's command table is the
 * model): each entry declares its field rule and its handler, and the
 * request runner (runner.ts) does everything around them, the same way for
 * every endpoint. A new service is one `add()`.
 *
 * Endpoints: `client` (requests through the broker), `peer` (a server's own
 * peer endpoint), `ref` (the reference server).
 *
 * @module
 */
import type { FieldRule } from "./validate.ts";

export type Endpoint = "client" | "peer" | "ref";
export type Fields = Record<string, unknown>;

/** What the runner tells a handler about the request besides its fields. */
export interface RequestInfo {
  /** The request came in the seed team's flat dialect (seed-dialect.ts). */
  seed: boolean;
}

/** Answers one service: the reply's data (timestamp and clock are added), or throws {@link ServiceError}. */
export type Handler<C> = (data: Fields, ctx: C, info: RequestInfo) => Fields | Promise<Fields>;

export interface ServiceEntry<C> {
  name: string;
  /** Checks the service's own fields; without one, the data passes as it came (the handler checks it). */
  rule?: FieldRule;
  handle: Handler<C>;
}

/** A refusal with a text for the client: the reply is `status: "erro"` with it. */
export class ServiceError extends Error {
  override name = "ServiceError";
}

export class ServiceTable<C> {
  private readonly entries = new Map<string, ServiceEntry<C>>();

  /**
   * @param endpoint where the table is served
   * @param notServed the error text for a service this table lacks
   */
  constructor(
    readonly endpoint: Endpoint,
    readonly notServed: (service: string) => string = (s) => `unknown service '${s}'`,
  ) {}

  /** Adds (or replaces) a service; returns a function that removes it again. */
  add(entry: ServiceEntry<C>): () => void {
    this.entries.set(entry.name, entry);
    return () => {
      if (this.entries.get(entry.name) === entry) this.entries.delete(entry.name);
    };
  }

  get(service: string): ServiceEntry<C> | undefined {
    return this.entries.get(service);
  }

  /** The names served, in the order added. */
  names(): string[] {
    return [...this.entries.keys()];
  }
}
