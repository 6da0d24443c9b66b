/**
 * The cluster's keys (shared/roles/cluster-trust.ts): made once, mode
 * 0600, the same pair for every role even when they all start at once;
 * more keys trusted through trusted.keys; a secret readable by others, or
 * a bad trusted key, stops the role with a clear message; open mode trusts
 * everyone and asks for no CURVE at all.
 * @module
 */
import { afterEach, describe, expect, it } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterTrust, PUBLIC_FILE, SECRET_FILE, TRUSTED_FILE } from "../shared/roles/cluster-trust.ts";
import { curveKeyPair, readKeyFile, Reply, Request, type PeerInfo } from "../shared/zmq/index.ts";

const dirs: string[] = [];
const sockets: { close(): void }[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "bbs-trust-"));
  dirs.push(d);
  return join(d, "keys");
}

describe("the cluster's keys", () => {
  it("are made on first load, the secret readable by its owner only, and read back the same", () => {
    const d = dir();
    const a = ClusterTrust.load(d);
    expect(statSync(join(d, SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o077).toBe(0);
    expect(readKeyFile(join(d, PUBLIC_FILE)).publicKey).toBe(a.publicKey);
    expect(readKeyFile(join(d, PUBLIC_FILE)).secretKey).toBeUndefined();
    expect(ClusterTrust.load(d).publicKey).toBe(a.publicKey);
  });

  it("are one pair when eight processes start at once on an empty directory", async () => {
    const d = dir();
    const code = `const { ClusterTrust } = await import(${JSON.stringify(join(import.meta.dir, "..", "shared", "roles", "cluster-trust.ts"))}); console.log(ClusterTrust.load(${JSON.stringify(d)}).publicKey);`;
    const procs = Array.from({ length: 8 }, () => Bun.spawn([process.execPath, "-e", code], { stdout: "pipe", stderr: "pipe" }));
    const keys = await Promise.all(procs.map(async (p) => (await new Response(p.stdout).text()).trim()));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(ClusterTrust.load(d).publicKey);
  });

  it("refuse a secret others can read, and a trusted.keys line that is not a key", () => {
    const d = dir();
    ClusterTrust.load(d);
    chmodSync(join(d, SECRET_FILE), 0o644);
    expect(() => ClusterTrust.load(d)).toThrow(/readable by others: chmod 600/);
    chmodSync(join(d, SECRET_FILE), 0o600);
    writeFileSync(join(d, TRUSTED_FILE), "# a comment\nnot-a-key\n");
    expect(() => ClusterTrust.load(d)).toThrow(/trusted.keys line 2: not a 40-character Z85 public key/);
  });

  it("trust the keys listed in trusted.keys on an internal port, and no other", async () => {
    const d = dir();
    const other = curveKeyPair();
    const stranger = curveKeyPair();
    const base = ClusterTrust.load(d);
    // Z85 keys may hold '#': a comment starts a line, or follows the key after a space.
    const hashed = curveKeyPair();
    while (!hashed.publicKey.includes("#")) Object.assign(hashed, curveKeyPair());
    writeFileSync(join(d, TRUSTED_FILE), `# the monitoring host\n${other.publicKey}   # monitor\n\n${hashed.publicKey}\n`);
    const trust = ClusterTrust.load(d);
    expect(trust.trusted.has(other.publicKey)).toBe(true);
    expect(trust.trusted.has(hashed.publicKey)).toBe(true);
    const rep = new Reply(trust.membersOnly());
    sockets.push(rep);
    await rep.bind("tcp://127.0.0.1:0");
    void (async () => {
      for (;;) {
        const { message, peer } = await rep.receiveWithPeer();
        await rep.send([message[0]!, trust.isMember(peer as PeerInfo) ? "member" : "not"]);
      }
    })().catch(() => {});
    const ask = async (secretKey: string, publicKey: string) => {
      const req = new Request({ curveServerKey: base.publicKey, curveSecretKey: secretKey, curvePublicKey: publicKey, receiveTimeout: 1500, sendTimeout: 1500 });
      sockets.push(req);
      req.connect(rep.lastEndpoint!);
      await req.send("hi");
      return (await req.receive()).map(String);
    };
    expect(await ask(other.secretKey, other.publicKey)).toEqual(["hi", "member"]);
    await expect(ask(stranger.secretKey, stranger.publicKey)).rejects.toThrow();
  });

  it("in open mode, ask for nothing and count everyone a member", () => {
    const t = ClusterTrust.load(dir(), true);
    expect(t.membersOnly()).toEqual({});
    expect(t.member()).toEqual({});
    expect(t.isMember(null)).toBe(true);
  });
});
