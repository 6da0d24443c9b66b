/** The per-name bound on password guesses (shared/server/password-throttle.ts), on a made-up clock. */
import { describe, expect, it } from "bun:test";
import { MAX_FAILURES, MAX_NAMES, PasswordThrottle, WINDOW_MS } from "../shared/server/password-throttle.ts";

describe("PasswordThrottle", () => {
  it("holds a name back after MAX_FAILURES failures within the window, until the oldest is a window old", () => {
    let now = 1_000_000;
    const t = new PasswordThrottle(() => now);
    for (let i = 0; i < MAX_FAILURES - 1; i++) {
      t.failed("ana");
      now += 1000;
    }
    expect(t.wait("ana")).toBe(0);
    t.failed("ana");
    expect(t.wait("ana")).toBe(WINDOW_MS - (MAX_FAILURES - 1) * 1000);
    expect(t.wait("bia")).toBe(0);
    now += t.wait("ana");
    expect(t.wait("ana")).toBe(0);
  });

  it("forgets a name on success, and failures older than the window", () => {
    let now = 0;
    const t = new PasswordThrottle(() => now);
    for (let i = 0; i < MAX_FAILURES; i++) t.failed("ana");
    t.succeeded("ana");
    expect(t.wait("ana")).toBe(0);
    for (let i = 0; i < MAX_FAILURES - 1; i++) t.failed("ana");
    now += WINDOW_MS + 1;
    t.failed("ana");
    expect(t.wait("ana")).toBe(0);
  });

  it("keeps at most MAX_NAMES names, forgetting the least recently failed", () => {
    const t = new PasswordThrottle(() => 0);
    for (let i = 0; i < MAX_FAILURES; i++) t.failed("first");
    for (let i = 0; i < MAX_NAMES; i++) t.failed(`n${i}`);
    expect(t.wait("first")).toBe(0);
    for (let i = 0; i < MAX_FAILURES; i++) t.failed("last");
    expect(t.wait("last")).toBeGreaterThan(0);
  });
});
