/**
 * Prefix subscription sets for PUB/SUB filtering.
 *
 * Topics are stored as latin1 strings (one char per byte), so a message
 * matches when any prefix of its first frame is a stored key. Only the
 * prefix lengths some stored topic has are probed (`PrefixLengths`), so a
 * match costs one map lookup per distinct topic length, whatever the
 * number of topics.
 * @module
 */

/** The latin1 key of the first `len` bytes of `b` (no copy of the bytes). */
export function topicKey(b: Uint8Array, len = b.length): string {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return buf.toString("latin1", 0, len);
}

/** How many stored topics have each length; the lengths in use, ascending. */
export class PrefixLengths {
  private readonly counts = new Map<number, number>();
  /** Lengths with at least one topic, ascending (rebuilt only when one appears or goes). */
  lengths: number[] = [];

  /** The longest length in use, or -1 when there is none. */
  get max(): number {
    return this.lengths.length === 0 ? -1 : this.lengths[this.lengths.length - 1]!;
  }

  add(len: number): void {
    const n = this.counts.get(len) ?? 0;
    this.counts.set(len, n + 1);
    if (n === 0) this.rebuild();
  }

  remove(len: number): void {
    const n = this.counts.get(len);
    if (n === undefined) return;
    if (n > 1) return void this.counts.set(len, n - 1);
    this.counts.delete(len);
    this.rebuild();
  }

  private rebuild(): void {
    this.lengths = [...this.counts.keys()].sort((a, b) => a - b);
  }
}

/** A counted set of topics with prefix matching (a SUB's or XSUB's own subscriptions). */
export class Subscriptions {
  private readonly counts = new Map<string, number>();
  private readonly lens = new PrefixLengths();

  get size(): number {
    return this.counts.size;
  }

  topics(): Buffer[] {
    return [...this.counts.keys()].map((k) => Buffer.from(k, "latin1"));
  }

  /** Add (counted). Returns true if the topic is new. */
  add(topic: Uint8Array): boolean {
    const k = topicKey(topic);
    const n = this.counts.get(k) ?? 0;
    this.counts.set(k, n + 1);
    if (n === 0) this.lens.add(k.length);
    return n === 0;
  }

  /** Remove one count (or every count, `all`). Returns true if the topic is now gone. */
  remove(topic: Uint8Array, all = false): boolean {
    const k = topicKey(topic);
    const n = this.counts.get(k);
    if (n === undefined) return false;
    if (n > 1 && !all) {
      this.counts.set(k, n - 1);
      return false;
    }
    this.counts.delete(k);
    this.lens.remove(k.length);
    return true;
  }

  has(topic: Uint8Array): boolean {
    return this.counts.has(topicKey(topic));
  }

  /** Does any subscription prefix-match `data`? */
  matches(data: Uint8Array | undefined): boolean {
    const lengths = this.lens.lengths;
    if (lengths.length === 0) return false;
    if (lengths[0] === 0) return true;
    if (!data) return false;
    const max = Math.min(data.length, this.lens.max);
    if (max < lengths[0]!) return false;
    const s = topicKey(data, max);
    for (const len of lengths) {
      if (len > max) break;
      if (this.counts.has(len === max ? s : s.slice(0, len))) return true;
    }
    return false;
  }
}
