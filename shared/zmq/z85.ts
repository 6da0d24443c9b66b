/**
 * Z85 (RFC 32), the printable encoding of CURVE keys: every 4 bytes, read
 * as a big-endian uint32, become 5 characters of an 85-symbol alphabet.
 * Input lengths must be multiples of 4 (encode) or 5 (decode); a bad
 * length, a character outside the alphabet or a group above 2^32-1 throws
 * ZmtpError EINVAL.
 * @module
 */
import { ZmtpError } from "./errors.ts";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encode bytes (length a multiple of 4) as Z85 text. */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) throw new ZmtpError("EINVAL", `Z85 input length ${data.length} is not a multiple of 4`);
  let out = "";
  for (let i = 0; i < data.length; i += 4) {
    let v = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
    const group = new Array<string>(5);
    for (let k = 4; k >= 0; k--) {
      group[k] = ALPHABET[v % 85]!;
      v = Math.floor(v / 85);
    }
    out += group.join("");
  }
  return out;
}

/** Decode Z85 text (length a multiple of 5) to bytes. */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new ZmtpError("EINVAL", `Z85 text length ${text.length} is not a multiple of 5`);
  const out = Buffer.allocUnsafe((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let v = 0;
    for (let k = 0; k < 5; k++) {
      const c = text.charCodeAt(i + k);
      const d = c < 128 ? DECODE[c]! : -1;
      if (d < 0) throw new ZmtpError("EINVAL", `invalid Z85 character at offset ${i + k}`);
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw new ZmtpError("EINVAL", `Z85 group at offset ${i} exceeds 32 bits`);
    out.writeUInt32BE(v, o);
  }
  return out;
}
