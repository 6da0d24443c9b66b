/**
 * The shape of the code: no import circle anywhere in `shared/` and
 * `scripts/` (type-only imports count: a circle of types is still two
 * modules that cannot be read apart), and no source file much over 400
 * lines. Reads the real files, so a change that adds a circle fails here.
 */
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dir, "..");
const MAX_LINES = 420;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.ts$/.test(name)) out.push(p);
  }
  return out;
}

const files = [...sources(join(ROOT, "shared")), ...sources(join(ROOT, "scripts"))];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']|new URL\(\s*["'](\.[^"']+)["']/g;

/** Each file's relative imports, resolved to paths. */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const m of readFileSync(f, "utf8").matchAll(IMPORT)) deps.push(resolve(dirname(f), (m[1] ?? m[2])!));
    g.set(f, deps);
  }
  return g;
}

/** Every import circle, each as the list of files around it. */
function circles(g: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const d of g.get(f) ?? []) {
      if (state.get(d) === "open") found.push(stack.slice(stack.indexOf(d)).map((x) => relative(ROOT, x)));
      else if (!state.has(d) && g.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of g.keys()) if (!state.has(f)) visit(f);
  return found;
}

describe("layout", () => {
  it("every relative import names a file that exists", () => {
    const g = graph();
    const missing = [...g].flatMap(([f, deps]) => deps.filter((d) => !g.has(d) && !d.endsWith(".json")).map((d) => `${relative(ROOT, f)} -> ${relative(ROOT, d)}`));
    expect(missing).toEqual([]);
  });

  it("has no import circle", () => {
    expect(circles(graph())).toEqual([]);
  });

  it("finds a circle when there is one (the check itself works)", () => {
    const g = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
    expect(circles(g)).toEqual([["a", "b", "c"]]);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const long = files.map((f) => [relative(ROOT, f), readFileSync(f, "utf8").split("\n").length] as const).filter(([, n]) => n > MAX_LINES);
    expect(long).toEqual([]);
  });
});
