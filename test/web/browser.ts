/**
 * Test harness for the web page: Debian's Chromium (/usr/bin/chromium,
 * installed by .ci/run; Playwright downloads no browser) driven by
 * playwright-core with a fresh profile directory, and a {@link WebUser}
 * that does what a person does on the page: log in, type, open windows,
 * read the sidebar and the messages. The gateway role is started with the
 * cluster's endpoints on a port of its own, and can be killed and started
 * again on the same port.
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import type { Cluster } from "../helpers/cluster.ts";
import type { RoleProcess } from "../helpers/process.ts";

export const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** One Chromium with a fresh profile; `close()` removes the profile too. */
export async function launch(viewport = { width: 1280, height: 800 }): Promise<{ ctx: BrowserContext; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "bbs-chromium-"));
  // Reduced motion: no sliding sidebar half-way through a screenshot.
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport, reducedMotion: "reduce" });
  return {
    ctx,
    async close() {
      await ctx.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The gateway role on `port`, with the cluster's endpoints; stopped with the cluster. */
export async function startWeb(cluster: Cluster, port: number): Promise<RoleProcess> {
  const p = cluster.spawn("web", ["--web-port", String(port)], { label: "web" });
  await p.waitFor(/web gateway on http:\/\/localhost:\d+/, 20_000);
  return p;
}

/** A person on the page. */
export class WebUser {
  readonly errors: string[] = [];

  constructor(
    readonly page: Page,
    readonly name: string,
  ) {
    page.on("pageerror", (e) => this.errors.push(e.message));
  }

  /** A new page, logged in as `name` (with its password, if given). */
  static async open(ctx: BrowserContext, url: string, name: string, password?: string): Promise<WebUser> {
    const u = new WebUser(await ctx.newPage(), name);
    await u.page.goto(url);
    await u.logIn(password);
    await u.online();
    return u;
  }

  /** Fills the login form (the name, and the password or nothing) and submits it. */
  async logIn(password = ""): Promise<void> {
    await this.page.fill("#login-name", this.name);
    await this.page.fill("#login-password", password);
    await this.page.click(".login-box button[type=submit]");
  }

  /** Resolves once the page is logged in and online. */
  async online(): Promise<void> {
    await this.page.waitForSelector(".status[data-state=online]", { timeout: 15_000 });
  }

  /** Waits for the login form to show a refusal: its text and what it is about (`name` or `password`). */
  async refusal(): Promise<{ text: string; about: string }> {
    const e = this.page.locator(".login-box .login-error");
    await e.waitFor({ timeout: 15_000 });
    return { text: (await e.textContent()) ?? "", about: (await e.getAttribute("data-problem")) ?? "" };
  }

  get input() {
    return this.page.locator(".composer textarea");
  }

  /** Types a line and presses Enter. */
  async type(line: string): Promise<void> {
    await this.input.fill(line);
    await this.input.press("Enter");
  }

  /** Opens a window from the sidebar (`#channel` or `@user`). */
  async open(key: string): Promise<void> {
    await this.page.click(`.sidebar .entry[data-key="${key}"]`);
    await this.page.waitForSelector(`.messages[data-window="${key}"]`);
  }

  /** The sidebar entry of a window: its unread count and mention mark. */
  async entry(key: string): Promise<{ unread: number; mention: boolean }> {
    const e = this.page.locator(`.sidebar .entry[data-key="${key}"]`);
    return { unread: Number(await e.getAttribute("data-unread")), mention: (await e.getAttribute("data-mention")) === "1" };
  }

  /** The open window's message lines as `from: text` (or the text alone). */
  async lines(): Promise<string[]> {
    return this.page.locator(".messages .line").evaluateAll((els) =>
      els.map((el) => {
        const from = el.querySelector(".from")?.textContent ?? "";
        const text = el.querySelector(".text")?.textContent ?? "";
        return from && !el.classList.contains("k-action") ? `${from}: ${text}` : text;
      }),
    );
  }

  /** Resolves once the open window shows a line with exactly this text. */
  async waitText(text: string, timeoutMs = 5000): Promise<void> {
    await this.page.locator(".messages .line .text", { hasText: text }).first().waitFor({ timeout: timeoutMs });
  }

  /** The ids of every message line in the open window. */
  async ids(): Promise<string[]> {
    return this.page.locator(".messages .line[data-id]").evaluateAll((els) => els.map((el) => el.getAttribute("data-id")!));
  }

  /** The link state the page shows: online, connecting, offline or unreachable. */
  async state(): Promise<string> {
    return (await this.page.getAttribute(".status", "data-state")) ?? "";
  }

  /** A screenshot of the page as it is now. */
  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path, animations: "disabled" });
  }

  /** Makes the page say it is in the background (or in front again), as a hidden tab does. */
  async hidden(on: boolean): Promise<void> {
    await this.page.evaluate(`(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => ${on ? '"hidden"' : '"visible"'} });
      document.dispatchEvent(new Event("visibilitychange"));
    })()`);
  }
}

/**
 * An init script that replaces the browser's Notification with one that
 * records what it is asked to show and how often permission was asked.
 */
export const RECORD_NOTIFICATIONS = `(() => {
  window.__notes = []; window.__asked = 0;
  class Recorded {
    static permission = "default";
    static requestPermission() { window.__asked++; Recorded.permission = "granted"; return Promise.resolve("granted"); }
    constructor(title, opts) { window.__notes.push({ title, body: opts && opts.body, tag: opts && opts.tag }); }
    close() {}
  }
  window.Notification = Recorded;
})()`;
