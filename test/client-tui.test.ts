/**
 * The terminal client's pure parts: wrapping by display width (wide
 * characters, styles carried over), keys from raw bytes, the input line
 * (editing, history, completion cycling with `: ` after a nick), the frame
 * layout (a long input never hides a window line), windows and their
 * activity, mentions, quoted names in commands, the config and input
 * history files, and names read as typed.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCommand } from "../shared/client/commands.ts";
import { complete, completionSuffix } from "../shared/client/completion.ts";
import { configPath, historyPath, InputHistory, loadConfig } from "../shared/client/config.ts";
import { LineEditor } from "../shared/client/tui/editor.ts";
import { mentions, messageLine, tuiPalette } from "../shared/client/tui/format.ts";
import { KeyParser } from "../shared/client/tui/keys.ts";
import { layout } from "../shared/client/tui/layout.ts";
import { stripStyle, width, wrap } from "../shared/client/tui/text.ts";
import { Ui } from "../shared/client/tui/ui.ts";
import { ChatWindow, WindowList } from "../shared/client/tui/windows.ts";
import { parseRoleOptions } from "../shared/roles/cli.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "tui-test-"));
  dirs.push(d);
  return d;
};

describe("wrap", () => {
  it("never puts more than the width on a row, and keeps wide characters whole", () => {
    const line = "日本語のテキスト and 😀 emoji mixed with ascii words ".repeat(4);
    for (const cols of [7, 10, 33, 80]) {
      const rows = wrap(line, cols, 4);
      for (const r of rows) expect(width(r)).toBeLessThanOrEqual(cols);
      expect(rows.map(stripStyle).join("").replace(/\s+/g, "")).toBe(line.replace(/\s+/g, ""));
    }
  });
  it("breaks at spaces, indents the rows after the first, and carries styles over", () => {
    expect(wrap("hello world this is a test", 10, 2)).toEqual(["hello", "  world", "  this is", "  a test"]);
    const rows = wrap("\x1b[1mbold text here\x1b[0m plain", 8);
    expect(rows[1]).toStartWith("\x1b[1m");
    expect(rows.map(stripStyle)).toEqual(["bold", "text", "here", "plain"]);
  });
});

describe("KeyParser", () => {
  it("reads text, control keys, escape sequences with modifiers, and Alt+key", () => {
    const k = new KeyParser();
    expect(k.feed("hi\x1b[A\x1b[1;3D\x1b[5~\x031\x1b2\r\x7f\x1bOH\t\x1b[Z")).toEqual([
      { kind: "text", text: "hi" },
      { kind: "key", name: "up" },
      { kind: "key", name: "left", alt: true },
      { kind: "key", name: "pageup" },
      { kind: "ctrl", key: "c" },
      { kind: "text", text: "1" },
      { kind: "alt", key: "2" },
      { kind: "key", name: "enter" },
      { kind: "key", name: "backspace" },
      { kind: "key", name: "home" },
      { kind: "key", name: "tab" },
      { kind: "key", name: "backtab" },
    ]);
  });
  it("keeps a sequence cut between two reads, and gives up a lone Escape", () => {
    const k = new KeyParser();
    expect(k.feed("a\x1b[")).toEqual([{ kind: "text", text: "a" }]);
    expect(k.pending).toBe(true);
    expect(k.feed("3~")).toEqual([{ kind: "key", name: "delete" }]);
    expect(k.feed("\x1b")).toEqual([]);
    expect(k.flush()).toEqual([{ kind: "key", name: "escape" }]);
  });
});

describe("LineEditor", () => {
  it("edits by grapheme: wide characters, emoji and combining marks are one step each", () => {
    const e = new LineEditor();
    e.insert("a界👍🏽e\u0301");
    expect(e.cells).toEqual(["a", "界", "👍🏽", "e\u0301"]);
    e.left();
    e.backspace();
    expect(e.text).toBe("a界e\u0301");
    e.home();
    e.insert(">");
    e.end();
    e.killWordBack();
    expect(e.text).toBe("");
    e.yank();
    expect(e.text).toBe(">a界e\u0301");
  });
  it("walks the history and gives back the line being typed", () => {
    const e = new LineEditor(["first", "second"]);
    e.insert("draft");
    e.up();
    expect(e.text).toBe("second");
    e.up();
    e.up();
    expect(e.text).toBe("first");
    e.down();
    e.down();
    expect(e.text).toBe("draft");
  });
  it("completes with a space after a command, `: ` after a nick opening a line, and cycles on Tab", () => {
    const src = { users: ["bob", "bobby", "ana smith"], channels: ["geral"], joined: [] };
    const completer = (before: string) => complete(before, src);
    const e = new LineEditor();
    e.insert("/j");
    e.complete(completer, completionSuffix);
    expect(e.text).toBe("/join ");
    e.insert("#g");
    e.complete(completer, completionSuffix);
    expect(e.text).toBe("/join #geral ");
    e.set("bo");
    e.complete(completer, completionSuffix);
    expect(e.text).toBe("bob: ");
    e.complete(completer, completionSuffix);
    expect(e.text).toBe("bobby: ");
    e.set("ana");
    e.complete(completer, completionSuffix);
    expect(e.text).toBe("ana smith: ");
    e.set("/msg ana");
    e.complete(completer, completionSuffix);
    expect(e.text).toBe('/msg "ana smith" ');
    e.set("hi b");
    e.complete(completer, completionSuffix);
    expect(e.text).toBe("hi bob ");
  });
});

describe("layout", () => {
  const frame = (input: string, cols = 120, rows = 30, lines = 40) => {
    const w = new ChatWindow("channel", "geral");
    for (let i = 0; i < lines; i++) w.add({ text: `line ${i}`, indent: 0 });
    const e = new LineEditor();
    e.insert(input);
    return layout({ cols, rows, title: " #geral", window: w, status: "[1:#geral]", prompt: "[#geral] ", input: e.cells, cursor: e.cursor, bar: (r) => r });
  };
  it("wraps a long input over rows under the window's last lines, every row exactly as wide as the screen", () => {
    const f = frame("x".repeat(150));
    expect(f.rows).toHaveLength(30);
    for (const r of f.rows) expect(width(r)).toBe(120);
    expect(f.rows[26]!.trimEnd()).toBe("line 39");
    expect(f.rows[27]!.trimEnd()).toBe("[1:#geral]");
    expect(f.rows[28]).toBe("[#geral] " + "x".repeat(111));
    expect(f.rows[29]!.trimEnd()).toBe("x".repeat(39));
    expect(f.cursor).toEqual({ row: 29, col: 39 });
  });
  it("keeps wide characters of the input whole across rows and puts the cursor after them", () => {
    const f = frame("界".repeat(10), 12, 10);
    const input = f.rows.slice(-3).map((r) => r.trimEnd());
    expect(input).toEqual(["[#geral] 界", "界界界界界界", "界界界"]);
    expect(f.cursor).toEqual({ row: 9, col: 6 });
  });
  it("shows at most half the screen of input, the part around the cursor", () => {
    const f = frame("y".repeat(2000), 40, 10);
    expect(f.rows).toHaveLength(10);
    expect(f.rows.slice(5).every((r) => /^y+ *$/.test(r))).toBe(true);
    expect(f.cursor.row).toBe(9);
  });
});

describe("windows", () => {
  it("counts unread messages, marks highlights, and skips the current window", () => {
    const wl = new WindowList();
    const geral = wl.open("channel", "geral");
    const bob = wl.open("query", "bob");
    wl.focus(geral);
    wl.notify(geral, 2);
    wl.notify(bob, 2);
    wl.notify(bob, 3);
    expect(wl.activity().map(({ n, w }) => [n, w.label, w.unread, w.level])).toEqual([[3, "@bob", 2, 3]]);
    expect(wl.nextActive()).toBe(bob);
    wl.go(3);
    expect(bob.unread).toBe(0);
    wl.close(geral);
    expect(wl.numberOf(bob)).toBe(2);
  });
  it("scrolls back and forward by rows, then follows new lines again", () => {
    const w = new ChatWindow("channel", "x");
    for (let i = 0; i < 10; i++) w.add({ text: `l${i}`, indent: 0 });
    w.scroll(3, () => 1);
    expect(w.anchor).toBe(6);
    w.scroll(-5, () => 1);
    expect(w.anchor).toBeNull();
  });
});

describe("mentions and message lines", () => {
  it("finds the nick as a word, in any case, and not inside another word", () => {
    expect(mentions("hi ana!", "ana")).toBe(true);
    expect(mentions("ANA: look", "ana")).toBe(true);
    expect(mentions("banana split", "ana")).toBe(false);
    expect(mentions("anabela", "ana")).toBe(false);
    expect(mentions("ping bot-1e26.", "bot-1e26")).toBe(true);
  });
  it("draws a /me action and a highlight", () => {
    const p = tuiPalette(false);
    expect(stripStyle(messageLine(p, { timestamp: 0, nick: "bob", text: "/me waves", self: false, highlight: false }).text)).toMatch(/^\d\d:\d\d  \* bob waves$/);
    expect(messageLine(p, { timestamp: 0, nick: "bob", text: "hi ana", self: false, highlight: true }).text).toContain("\x1b[1;7m<bob>");
  });
});

describe("dates", () => {
  it("puts a day line before a message of another day, and again when today comes back", () => {
    const io = { input: {} as NodeJS.ReadStream, output: { columns: 80, rows: 24 } as NodeJS.WriteStream };
    const ui = new Ui({ io, palette: tuiPalette(false), history: new InputHistory(null), completer: () => [[], ""], suffix: () => " ", bell: false });
    const w = ui.windows.open("channel", "geral");
    const today = Date.now();
    ui.message(w, { timestamp: today, nick: "bob", text: "now", self: false, highlight: false }, 2);
    expect(w.lines.map((l) => stripStyle(l.text))).toEqual([expect.stringMatching(/<bob> now$/)]);
    const old = new ChatWindow("channel", "old");
    ui.windows.all.push(old);
    const then = new Date(2024, 1, 6, 12, 0).getTime();
    ui.message(old, { timestamp: then, nick: "bob", text: "back then", self: false, highlight: false }, 0);
    ui.message(old, { timestamp: today, nick: "bob", text: "today", self: false, highlight: false }, 0);
    expect(old.lines.map((l) => stripStyle(l.text))).toEqual([
      "-!- Day changed to Tuesday 6 February 2024",
      expect.stringMatching(/<bob> back then$/),
      expect.stringMatching(/^-!- Day changed to /),
      expect.stringMatching(/<bob> today$/),
    ]);
    ui.stop();
  });
});

describe("quoted names", () => {
  const cmd = (line: string) => {
    const r = parseCommand(line);
    if (!r.ok) throw new Error(r.error);
    return r.command;
  };
  it("addresses any name a user can have", () => {
    expect(cmd('/msg "ana smith" hi there')).toEqual({ kind: "msg", user: "ana smith", text: "hi there" });
    expect(cmd("/query @#geral")).toEqual({ kind: "query", user: "#geral" });
    expect(cmd('/join "#my channel"')).toEqual({ kind: "join", channel: "my channel" });
    expect(cmd('/msg "say \\"hi\\"" x')).toEqual({ kind: "msg", user: 'say "hi"', text: "x" });
    expect(cmd("/history @#geral 5")).toEqual({ kind: "history", target: { user: "#geral" }, limit: 5 });
    expect(cmd("/window 3")).toEqual({ kind: "window", go: 3 });
    expect(cmd("/me waves  slowly")).toEqual({ kind: "me", text: "waves  slowly" });
    expect(parseCommand('/msg "ana smith hi')).toEqual({ ok: false, error: "unterminated quote" });
  });
  it("reads --user 007 as the name 007", () => {
    expect(parseRoleOptions("client", ["user"], { argv: ["--user", "007"], env: {} })!.options.user).toBe("007");
  });
});

describe("config and input history", () => {
  it("lives where XDG_CONFIG_HOME and XDG_STATE_HOME say", () => {
    expect(configPath({ XDG_CONFIG_HOME: "/c", HOME: "/h" })).toBe("/c/bbs-chat/config.json");
    expect(configPath({ HOME: "/h" })).toBe("/h/.config/bbs-chat/config.json");
    expect(historyPath({ XDG_STATE_HOME: "/s", HOME: "/h" })).toBe("/s/bbs-chat/history");
  });
  it("reads nick, autojoin, colours and bell, and warns about bad values instead of failing", () => {
    const path = join(tempDir(), "config.json");
    writeFileSync(path, JSON.stringify({ nick: 7, autojoin: ["#geral", "news", "$bad"], colors: false, bell: "yes", theme: "dark" }));
    const { config, warnings } = loadConfig(path);
    expect(config).toEqual({ autojoin: ["geral", "news"], colors: false, bell: true });
    expect(warnings.join("\n")).toContain('"nick" must be a string');
    expect(warnings.join("\n")).toContain("reserved");
    expect(warnings.join("\n")).toContain('"theme" is not a setting');
    writeFileSync(path, "{ not json");
    expect(loadConfig(path).warnings[0]).toContain("using the defaults");
    expect(loadConfig(join(tempDir(), "none.json"))).toEqual({ config: { autojoin: [], colors: true, bell: true }, warnings: [] });
  });
  it("keeps typed lines across runs", () => {
    const path = join(tempDir(), "state", "history");
    const h = new InputHistory(path);
    h.add("/join #geral");
    h.add("two\nlines \\ here");
    h.add("two\nlines \\ here");
    expect(new InputHistory(path).lines).toEqual(["/join #geral", "two\nlines \\ here"]);
  });
});
