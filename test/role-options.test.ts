/**
 * The options table and a role's command line: flag over environment over
 * default, checked values with errors that name the flag, the old
 * `--sync-ms` spelling, negative numbers, flags of other roles ignored and
 * unknown ones refused, help listing only the role's options; and the
 * status reply's validator.
 */
import { describe, expect, it, spyOn } from "bun:test";
import { parseRoleOptions } from "../shared/roles/cli.ts";
import { OPTIONS, flagNames, type OptionKey } from "../shared/roles/options.ts";
import { parseStatus } from "../shared/server/status-service.ts";

const parse = <K extends OptionKey>(keys: readonly K[], argv: string[], env: Record<string, string> = {}, bind: K[] = []) =>
  parseRoleOptions("test", keys, { argv, env, bind })!;

describe("options table", () => {
  it("declares each flag and variable once", () => {
    const keys = Object.keys(OPTIONS) as OptionKey[];
    const flags = keys.flatMap(flagNames);
    const envs = keys.flatMap((k) => ("env" in OPTIONS[k] ? [(OPTIONS[k] as { env: string }).env] : []));
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(envs).size).toBe(envs.length);
  });
});

describe("role options", () => {
  it("takes the flag over the variable over the default", () => {
    const keys = ["heartbeatMs", "minReplicas", "antiEntropyMs"] as const;
    const o = parse(keys, ["--heartbeat-ms", "250"], { HEARTBEAT_MS: "900", MIN_REPLICAS: "2" });
    expect(o.options).toEqual({ heartbeatMs: 250, minReplicas: 2, antiEntropyMs: 2000 });
    expect([...o.given].sort()).toEqual(["heartbeatMs", "minReplicas"]);
  });

  it("resolves endpoints in the bind or connect form", () => {
    const o = parse(["peer", "ref", "host"], ["--ref", "7000", "--host", "10.0.0.9"], {}, ["peer"]);
    expect(o.options).toEqual({ peer: "tcp://*:5560", ref: "tcp://10.0.0.9:7000", host: "10.0.0.9" });
  });

  it("names the flag, or the variable, in a bad value's error", () => {
    expect(() => parse(["count"], ["--count", "1.5"])).toThrow("--count must be a whole number ≥ 0 (got '1.5')");
    expect(() => parse(["heartbeatMs"], [], { HEARTBEAT_MS: "soon" })).toThrow("--heartbeat-ms (from HEARTBEAT_MS) must be a number ≥ 1");
    expect(() => parse(["fsyncAlways"], [], { FSYNC_ALWAYS: "maybe" })).toThrow("--fsync-always (from FSYNC_ALWAYS)");
    expect(() => parse(["user"], ["--user"])).toThrow("--user needs a value");
    expect(() => parse(["user"], ["--user", "$x"])).toThrow("--user: user '$x' is a reserved name");
    expect(() => parse(["ref", "host"], ["--ref", "banana"])).toThrow("--ref: 'banana' is neither a port nor an endpoint");
  });

  it("accepts --sync-ms for --clock-sync-ms, negative numbers and names as typed", () => {
    expect(parse(["clockSyncMs"], ["--sync-ms", "700"]).options.clockSyncMs).toBe(700);
    expect(parse(["skew"], ["--skew", "-800"]).options.skew).toBe(-800);
    expect(parse(["skew"], []).options.skew).toBeUndefined();
    expect(parse(["name"], ["--name", "007"]).options.name).toBe("007");
    expect(parse(["noReplication"], ["--no-replication"]).options.noReplication).toBe(true);
    expect(parse(["noReplication"], []).options.noReplication).toBe(false);
  });

  it("ignores other roles' flags and refuses unknown ones", () => {
    expect(parse(["quiet"], ["--quiet", "--heartbeat-ms", "200", "--once"]).options.quiet).toBe(true);
    expect(() => parse(["quiet"], ["--heartbeat", "200"])).toThrow("unknown option --heartbeat");
    expect(() => parse(["quiet"], ["stray"])).toThrow("unexpected argument 'stray'");
  });

  it("lists only the role's options in --help", () => {
    const lines: string[] = [];
    const spy = spyOn(console, "log").mockImplementation((s: string) => void lines.push(s));
    try {
      expect(parseRoleOptions("test", ["rate", "quiet"], { argv: ["--help"], env: {} })).toBeNull();
    } finally {
      spy.mockRestore();
    }
    const help = lines.join("\n");
    expect(help).toContain("--rate <msgs/s>");
    expect(help).toContain("default 2, 0.01 to 10000");
    expect(help).not.toContain("--user");
  });
});

describe("status reply", () => {
  const good = {
    name: "server1", rank: 1, address: "tcp://127.0.0.1:5560", coordinator: "server1", isCoordinator: true,
    time: 1, offset: -3, count: 2, vector: { server1: 2 }, digest: "ab", peers: [], timestamp: 5, clock: 9,
  };
  it("keeps the status fields of a well-formed reply", () => {
    const { timestamp: _t, clock: _c, ...fields } = good;
    expect(parseStatus(good)).toEqual(fields);
  });
  it("refuses a reply with a field missing or of the wrong type", () => {
    expect(parseStatus({ ...good, count: "2" })).toBeNull();
    expect(parseStatus({ ...good, vector: { a: "x" } })).toBeNull();
    expect(parseStatus({ ...good, peers: [1] })).toBeNull();
    expect(parseStatus(null)).toBeNull();
  });
});
