/**
 * MessagePack encoding of every frame payload.
 *
 * Output is plain MessagePack (maps, arrays, strings, numbers) that any
 * library reads: no msgpackr record extension, no bundled strings. Decoding
 * accepts only plain data (nil, booleans, numbers, strings, binary, arrays,
 * maps) nested at most {@link MAX_DEPTH} deep, and throws {@link CodecError}
 * for anything else — never another error type.
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
});

/** Encodes a value as one MessagePack item. Throws CodecError if it cannot. */
export function encode(value: unknown): Buffer {
  try {
    return packr.pack(value);
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

/** Rejects anything that is not plain data or is nested too deep (iterative walk). */
function checkPlain(root: unknown): void {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || v === undefined) continue;
    const t = typeof v;
    if (t === "string" || t === "number" || t === "boolean" || t === "bigint") continue;
    if (v instanceof Uint8Array) continue;
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
