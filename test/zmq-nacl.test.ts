/**
 * The MESSAGE primitives that call libsodium's WebAssembly module
 * directly (shared/zmq/nacl.ts) against the wrapper's own
 * crypto_secretbox: the same bytes for every size, across the scratch
 * area's growth and release, and a changed byte refused.
 * @module
 */
import { describe, expect, it } from "bun:test";
import sodium from "libsodium-wrappers";
import { BOX_ZERO_BYTES, openSealed, randomBytes, sealInto, ZERO_BYTES } from "../shared/zmq/nacl.ts";

describe("sealInto / openSealed", () => {
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  it.each([0, 1, 100, 70_000, 2 * 1024 * 1024 + 3, 5])("%d bytes: the wrapper's box, and back", (n) => {
    const plain = randomBytes(n);
    const padded = new Uint8Array(ZERO_BYTES + n);
    padded.set(plain, ZERO_BYTES);
    const out = new Uint8Array(ZERO_BYTES + n + 7);
    sealInto(out, 7, padded, padded.length, nonce, key);
    const sealed = out.subarray(7 + BOX_ZERO_BYTES, 7 + ZERO_BYTES + n);
    expect(Buffer.from(sealed).equals(Buffer.from(sodium.crypto_secretbox_easy(plain, nonce, key)))).toBe(true);
    const wire = Buffer.concat([Buffer.alloc(BOX_ZERO_BYTES), sealed]);
    expect(Buffer.from(openSealed(wire, nonce, key)!).equals(Buffer.from(plain))).toBe(true);
    wire[wire.length - 1]! ^= 1;
    expect(openSealed(wire, nonce, key)).toBeNull();
  });
});
