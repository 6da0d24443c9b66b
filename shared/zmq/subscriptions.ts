/**
 * Prefix subscription sets for PUB/SUB filtering.
 *
 * Topics are stored as latin1 strings (one char per byte), so a message
 * matches when any prefix of its first frame is a stored key.
 * @module
 */

export class Subscriptions {
  private readonly counts = new Map<string, number>();
  private maxLen = 0;

  get size(): number {
    return this.counts.size;
  }

  topics(): Buffer[] {
    return [...this.counts.keys()].map((k) => Buffer.from(k, "latin1"));
  }

  /** Add (counted). Returns true if the topic is new. */
  add(topic: Uint8Array): boolean {
    const k = Buffer.from(topic).toString("latin1");
    const n = this.counts.get(k) ?? 0;
    this.counts.set(k, n + 1);
    if (k.length > this.maxLen) this.maxLen = k.length;
    return n === 0;
  }

  /** Remove one count. Returns true if the topic is now gone. */
  remove(topic: Uint8Array, all = false): boolean {
    const k = Buffer.from(topic).toString("latin1");
    const n = this.counts.get(k);
    if (n === undefined) return false;
    if (n > 1 && !all) {
      this.counts.set(k, n - 1);
      return false;
    }
    this.counts.delete(k);
    return true;
  }

  has(topic: Uint8Array): boolean {
    return this.counts.has(Buffer.from(topic).toString("latin1"));
  }

  /** Does any subscription prefix-match `data`? */
  matches(data: Uint8Array | undefined): boolean {
    if (this.counts.size === 0) return false;
    if (this.counts.has("")) return true;
    if (!data) return false;
    const len = Math.min(data.length, this.maxLen);
    if (len === 0) return false;
    const s = Buffer.from(data.buffer, data.byteOffset, len).toString("latin1");
    for (let i = len; i > 0; i--) if (this.counts.has(i === len ? s : s.slice(0, i))) return true;
    return false;
  }
}
