/**
 * The NaCl primitives CurveZMQ is built on (crypto_box over Curve25519,
 * XSalsa20 and Poly1305; crypto_secretbox), taken from libsodium (its
 * WebAssembly build, libsodium-wrappers) and nothing written here: this
 * file only names them and adapts argument shapes. libsodium seals a
 * small message about 2.7× faster than tweetnacl's JavaScript, which is
 * what an authenticated cluster pays on every internal hop.
 *
 * A session's MESSAGEs (sealInto, openSealed) call libsodium's
 * crypto_secretbox functions in the WebAssembly module directly, through
 * one scratch area of its memory: the wrapper allocates, copies and frees
 * three buffers per call, which costs as much as the cipher itself for
 * the small frames most messages are made of (routing ids, delimiters).
 * @module
 */
import sodium from "libsodium-wrappers";

await sodium.ready;

/** The WebAssembly module under the wrapper (libsodium's own exports, `_` prefixed). */
interface Raw {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _crypto_secretbox_easy(c: number, m: number, mlen: number, mlenHigh: number, n: number, k: number): number;
  _crypto_secretbox_open_easy(m: number, c: number, clen: number, clenHigh: number, n: number, k: number): number;
}
const raw = (sodium as unknown as { libsodium?: Raw }).libsodium;
if (!raw || typeof raw._crypto_secretbox_easy !== "function" || typeof raw._malloc !== "function") {
  throw new Error("libsodium-wrappers no longer exposes its WebAssembly module (.libsodium): shared/zmq/nacl.ts needs updating");
}

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

/** The scratch area: key, nonce, then room for one box (grown on demand; see `release`). */
let scratch = 0;
let room = 0;
const KEEP = 1024 * 1024;
/** After a call: an area grown past KEEP for one big message is given back, so memory stays bounded. */
function release(): void {
  if (room <= KEEP) return;
  raw!._free(scratch);
  scratch = 0;
  room = 0;
}
function area(bytes: number): number {
  if (bytes > room) {
    if (scratch !== 0) raw!._free(scratch);
    room = Math.max(bytes, 64 * 1024);
    scratch = raw!._malloc(KEY_BYTES + NONCE_BYTES + room);
    if (scratch === 0) throw new Error("libsodium: out of memory");
  }
  return scratch;
}

/** Puts key and nonce in the scratch area; returns where the box goes. */
function load(heap: Uint8Array, at: number, key: Uint8Array, nonce: Uint8Array): number {
  heap.set(key, at);
  heap.set(nonce, at + KEY_BYTES);
  return at + KEY_BYTES + NONCE_BYTES;
}

/**
 * Encrypt `padded` (ZERO_BYTES zeros, then the plaintext; length `d`) into
 * `out[off, off + d)`: the first BOX_ZERO_BYTES are left for the caller's
 * header, then come the tag and the ciphertext.
 */
export function sealInto(out: Uint8Array, off: number, padded: Uint8Array, d: number, nonce: Uint8Array, key: Uint8Array): void {
  const len = d - ZERO_BYTES;
  const at = area(len + MAC_BYTES);
  let heap = raw!.HEAPU8;
  const box = load(heap, at, key, nonce);
  heap.set(padded.subarray(ZERO_BYTES, d), box + MAC_BYTES);
  raw!._crypto_secretbox_easy(box, box + MAC_BYTES, len, 0, at + KEY_BYTES, at);
  heap = raw!.HEAPU8; // a call may grow the memory, which replaces the view
  out.set(heap.subarray(box, box + MAC_BYTES + len), off + BOX_ZERO_BYTES);
  heap.fill(0, at, at + KEY_BYTES);
  release();
}

/**
 * Decrypt `c` (BOX_ZERO_BYTES of header, then tag and ciphertext): the
 * plaintext, or null when the tag does not verify.
 */
export function openSealed(c: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer | null {
  const len = c.length - BOX_ZERO_BYTES;
  if (len < MAC_BYTES) return null;
  const at = area(len);
  let heap = raw!.HEAPU8;
  const box = load(heap, at, key, nonce);
  heap.set(c.subarray(BOX_ZERO_BYTES), box);
  const ok = raw!._crypto_secretbox_open_easy(box, box, len, 0, at + KEY_BYTES, at) === 0;
  heap = raw!.HEAPU8;
  heap.fill(0, at, at + KEY_BYTES);
  const plain = ok ? Buffer.from(heap.subarray(box, box + len - MAC_BYTES)) : null;
  release();
  return plain;
}
