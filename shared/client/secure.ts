/**
 * `--secure`: the client's broker and proxy connections as CURVE clients
 * (RFC 26), checking the cluster's public key, so requests, passwords,
 * tokens and deliveries travel encrypted over an untrusted network. The
 * client's own key pair is made afresh per run: the ports take any
 * client key, and a user is known by name and session token, not by key.
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PUBLIC_FILE } from "../roles/cluster-trust.ts";
import { ConfigError } from "../roles/options.ts";
import { curveKeyPair, readKeyFile, z85Decode, type SocketOptions } from "../zmq/index.ts";

/** The CURVE client options `--secure` asks for, or undefined without it. */
export function secureOptions(o: { secure: boolean; serverKey?: string | undefined; dataDir: string }): SocketOptions | undefined {
  if (!o.secure) return undefined;
  const mine = curveKeyPair();
  return { curveServerKey: serverKey(o.serverKey ?? join(o.dataDir, "keys", PUBLIC_FILE)), curveSecretKey: mine.secretKey, curvePublicKey: mine.publicKey };
}

/** A Z85 key as given, or the public key of a certificate file. */
function serverKey(given: string): string {
  if (given.length === 40 && !existsSync(given)) {
    try {
      if (z85Decode(given).length === 32) return given;
    } catch {
      // not Z85: read as a file name below
    }
  }
  try {
    return readKeyFile(given).publicKey;
  } catch (e) {
    throw new ConfigError(`--server-key: ${given} is neither a Z85 public key nor a readable certificate file (${(e as Error).message})`);
  }
}
