/**
 * MessagePack encoding of every frame payload.
 *
 * Output is plain MessagePack (maps, arrays, strings, numbers) that any
 * library reads: no msgpackr record extension, no bundled strings.
 *
 * Strict writer: every integral number goes out as a MessagePack integer
 * type, whatever its width. msgpackr alone writes integers wider than 32
 * bits (a millisecond timestamp) as float64, which typed decoders (Go's
 * msgpack into int64, MessagePack-CSharp into long) refuse.
 *
 * Tolerant reader: 64-bit integers (uint64/int64, what Python and Node
 * clients write for `Date.now()`) decode to plain numbers, never BigInt;
 * beyond 2^53 they lose precision, which the validator's bounds then refuse.
 * Decoding accepts only plain data (nil, booleans, numbers, strings, binary,
 * arrays, maps, and the standard timestamp extension as a Date) nested at most {@link MAX_DEPTH} deep, and throws
 * {@link CodecError} for anything else — never another error type.
 *
 * @module
 */
import { Packr } from "msgpackr";

/** Deepest nesting of arrays/maps a decoded value may have. */
export const MAX_DEPTH = 32;

/** The one error this layer throws. */
export class CodecError extends Error {
  override name = "CodecError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(`codec: ${message}`, options);
  }
}

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  bundleStrings: false,
  moreTypes: false,
  int64AsType: "number",
});

/** Encodes a value as one MessagePack item. Throws CodecError if it cannot. */
export function encode(value: unknown): Buffer {
  try {
    return packr.pack(withWideIntegers(value));
  } catch (err) {
    throw new CodecError(`cannot encode: ${(err as Error)?.message ?? err}`, { cause: err });
  }
}

/**
 * Decodes exactly one MessagePack item filling the whole buffer.
 * Throws CodecError on truncated input, trailing bytes, extension types,
 * reserved bytes or nesting deeper than MAX_DEPTH.
 */
export function decode(buf: Uint8Array): unknown {
  if (!(buf instanceof Uint8Array)) throw new CodecError("input is not bytes");
  if (buf.length === 0) throw new CodecError("empty input");
  let value: unknown;
  try {
    value = packr.unpack(buf);
  } catch (err) {
    const msg = err instanceof RangeError ? "nesting too deep" : ((err as Error)?.message ?? String(err));
    throw new CodecError(`cannot decode: ${msg}`, { cause: err });
  }
  checkPlain(value);
  return value;
}

/** Integers outside 32 bits that msgpackr would write as float64 become BigInt, which it writes as int64/uint64. */
const needsBigInt = (v: number) => (v > 0xffffffff || v < -0x80000000) && Number.isInteger(v) && v < 2 ** 63 && v >= -(2 ** 63);

/**
 * A copy of `v` with every wide integer as a BigInt; parts that hold none
 * are shared, not copied. Depth is bounded by the values we build ourselves.
 */
function withWideIntegers(v: unknown): unknown {
  if (typeof v === "number") return needsBigInt(v) ? BigInt(v) : v;
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const y = withWideIntegers(x);
      if (y !== x) (out ??= v.slice())[i] = y;
    }
    return out ?? v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  let out: Record<string, unknown> | undefined;
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    const y = withWideIntegers(x);
    if (y !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = y;
  }
  return out ?? v;
}

/** Rejects anything that is not plain data or is nested too deep (iterative walk). */
function checkPlain(root: unknown): void {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || v === undefined) continue;
    const t = typeof v;
    if (t === "string" || t === "number" || t === "boolean" || t === "bigint") continue;
    if (v instanceof Uint8Array || v instanceof Date) continue; // Date: the timestamp extension (-1), which clients send for `timestamp`
    if (depth >= MAX_DEPTH) throw new CodecError(`nesting deeper than ${MAX_DEPTH}`);
    if (Array.isArray(v)) {
      for (const x of v) stack.push([x, depth + 1]);
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    if (t === "object" && (proto === Object.prototype || proto === null)) {
      for (const x of Object.values(v as object)) stack.push([x, depth + 1]);
      continue;
    }
    throw new CodecError("unsupported MessagePack type (extension or reserved byte)");
  }
}
