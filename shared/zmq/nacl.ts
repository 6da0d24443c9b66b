/**
 * The NaCl primitives CurveZMQ is built on (crypto_box over Curve25519,
 * XSalsa20 and Poly1305; crypto_secretbox), taken from tweetnacl and
 * nothing written here: this file only names them and adapts argument
 * shapes. `sealInto`/`openInPlace` use tweetnacl's low-level calls with
 * NaCl's zero-padding convention so a MESSAGE is encrypted straight into
 * the outgoing batch, without intermediate copies.
 * @module
 */
import nacl from "tweetnacl";

/** The padded-buffer NaCl calls (crypto_secretbox et al.) tweetnacl exports as `lowlevel`. */
interface LowLevel {
  crypto_secretbox(c: Uint8Array, m: Uint8Array, d: number, n: Uint8Array, k: Uint8Array): number;
  crypto_secretbox_open(m: Uint8Array, c: Uint8Array, d: number, n: Uint8Array, k: Uint8Array): number;
}
const low = (nacl as unknown as { lowlevel: LowLevel }).lowlevel;

export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
/** Bytes a box adds to its plaintext (the Poly1305 tag). */
export const MAC_BYTES = 16;
/** NaCl padding: plaintext buffers start with 32 zero bytes, ciphertext buffers with 16. */
export const ZERO_BYTES = 32;
export const BOX_ZERO_BYTES = 16;

export interface RawKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export const randomBytes = (n: number): Uint8Array => nacl.randomBytes(n);
export const keyPair = (): RawKeyPair => nacl.box.keyPair();
export const publicFromSecret = (secretKey: Uint8Array): Uint8Array => nacl.scalarMult.base(secretKey);
/** crypto_box_beforenm: the shared key of (their public, our secret). */
export const boxBefore = (publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array => nacl.box.before(publicKey, secretKey);
/** crypto_box: tag + ciphertext. */
export const box = (msg: Uint8Array, nonce: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array =>
  nacl.box(msg, nonce, publicKey, secretKey);
/** crypto_box_open: the plaintext, or null when the box does not authenticate. */
export const boxOpen = (b: Uint8Array, nonce: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | null =>
  b.length < MAC_BYTES ? null : nacl.box.open(b, nonce, publicKey, secretKey);
/** crypto_box_afternm / crypto_secretbox with a precomputed or symmetric key. */
export const secretBox = (msg: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array => nacl.secretbox(msg, nonce, key);
export const secretOpen = (b: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null =>
  b.length < MAC_BYTES ? null : nacl.secretbox.open(b, nonce, key);
/** Constant-time equality of two byte strings of the same length. */
export const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.length > 0 && nacl.verify(a, b);

/**
 * Encrypt `padded` (ZERO_BYTES zeros, then the plaintext; length `d`) into
 * `out[off, off + d)`: its first BOX_ZERO_BYTES come out zero, then the tag
 * and the ciphertext. The caller overwrites those zero bytes with its header.
 */
export function sealInto(out: Uint8Array, off: number, padded: Uint8Array, d: number, nonce: Uint8Array, key: Uint8Array): void {
  // plain Uint8Array views: tweetnacl's byte loops run measurably faster on them than on Buffers
  low.crypto_secretbox(new Uint8Array(out.buffer, out.byteOffset + off, d), padded, d, nonce, key);
}

/**
 * Decrypt `c` (BOX_ZERO_BYTES that may be overwritten, then tag and
 * ciphertext) into a new buffer whose bytes from ZERO_BYTES on are the
 * plaintext; null when the tag does not verify. Zeroes `c`'s first bytes.
 */
export function openInPlace(c: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer | null {
  c.fill(0, 0, BOX_ZERO_BYTES);
  const m = Buffer.allocUnsafe(c.length);
  const cv = new Uint8Array(c.buffer, c.byteOffset, c.length);
  const mv = new Uint8Array(m.buffer, m.byteOffset, m.length);
  return low.crypto_secretbox_open(mv, cv, c.length, nonce, key) === 0 ? m : null;
}
