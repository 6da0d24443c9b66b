/**
 * The NaCl primitives CurveZMQ is built on (crypto_box over Curve25519,
 * XSalsa20 and Poly1305; crypto_secretbox), taken from libsodium (its
 * WebAssembly build, libsodium-wrappers) and nothing written here: this
 * file only names them and adapts argument shapes. libsodium seals a
 * small message about 2.7× faster than tweetnacl's JavaScript, which is
 * what an authenticated cluster pays on every internal hop.
 * @module
 */
import sodium from "libsodium-wrappers";

await sodium.ready;

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

export const randomBytes = (n: number): Uint8Array => sodium.randombytes_buf(n);
export function keyPair(): RawKeyPair {
  const k = sodium.crypto_box_keypair();
  return { publicKey: k.publicKey, secretKey: k.privateKey };
}
export const publicFromSecret = (secretKey: Uint8Array): Uint8Array => sodium.crypto_scalarmult_base(secretKey);
/** crypto_box_beforenm: the shared key of (their public, our secret). */
export const boxBefore = (publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array => sodium.crypto_box_beforenm(publicKey, secretKey);
/** crypto_box: tag + ciphertext. */
export const box = (msg: Uint8Array, nonce: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array =>
  sodium.crypto_box_easy(msg, nonce, publicKey, secretKey);
/** crypto_box_open: the plaintext, or null when the box does not authenticate. */
export function boxOpen(b: Uint8Array, nonce: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | null {
  if (b.length < MAC_BYTES) return null;
  try {
    return sodium.crypto_box_open_easy(b, nonce, publicKey, secretKey);
  } catch {
    return null;
  }
}
/** crypto_box_afternm / crypto_secretbox with a precomputed or symmetric key. */
export const secretBox = (msg: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array => sodium.crypto_secretbox_easy(msg, nonce, key);
export function secretOpen(b: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
  if (b.length < MAC_BYTES) return null;
  try {
    return sodium.crypto_secretbox_open_easy(b, nonce, key);
  } catch {
    return null;
  }
}
/** Constant-time equality of two byte strings of the same length. */
export const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.length > 0 && sodium.memcmp(a, b);

/**
 * Encrypt `padded` (ZERO_BYTES zeros, then the plaintext; length `d`) into
 * `out[off, off + d)`: the first BOX_ZERO_BYTES are left for the caller's
 * header, then come the tag and the ciphertext.
 */
export function sealInto(out: Uint8Array, off: number, padded: Uint8Array, d: number, nonce: Uint8Array, key: Uint8Array): void {
  out.set(sodium.crypto_secretbox_easy(padded.subarray(ZERO_BYTES, d), nonce, key), off + BOX_ZERO_BYTES);
}

/**
 * Decrypt `c` (BOX_ZERO_BYTES of header, then tag and ciphertext): the
 * plaintext, or null when the tag does not verify.
 */
export function openSealed(c: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer | null {
  const p = secretOpen(c.subarray(BOX_ZERO_BYTES), nonce, key);
  return p === null ? null : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}
