/**
 * The page's files, built once when the gateway starts: `web/main.tsx`
 * bundled for the browser by Bun.build (no build step for users), the
 * style sheet and the HTML shell, kept in memory and served with content
 * hashes in their names, so a browser caches them until they change. Every
 * response carries a Content-Security-Policy that allows only our own
 * script and style and no inline code: even if something slipped past the
 * page's rendering, a browser would not run it.
 *
 * @module
 */
import { join } from "node:path";

/** Where the page's sources live. */
export const PAGE_DIR = join(import.meta.dir, "..", "..", "web");

interface Asset {
  body: Uint8Array;
  type: string;
  /** Immutable (hashed name) or revalidated each time. */
  immutable: boolean;
}

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

export class PageAssets {
  private constructor(private readonly files: Map<string, Asset>) {}

  /** Bundles the page; throws with the bundler's messages if it does not build. */
  static async build(dir = PAGE_DIR): Promise<PageAssets> {
    const result = await Bun.build({
      entrypoints: [join(dir, "main.tsx")],
      target: "browser",
      minify: true,
      tsconfig: join(dir, "tsconfig.json"),
    });
    if (!result.success) throw new Error(`the page does not build: ${result.logs.map(String).join("; ")}`);
    const js = new Uint8Array(await result.outputs[0]!.arrayBuffer());
    const css = new Uint8Array(await Bun.file(join(dir, "style.css")).arrayBuffer());
    const icon = new Uint8Array(await Bun.file(join(dir, "icon.svg")).arrayBuffer());
    const jsName = `/app.${hash(js)}.js`;
    const cssName = `/style.${hash(css)}.css`;
    const html = (await Bun.file(join(dir, "index.html")).text()).replace("{{script}}", jsName).replace("{{style}}", cssName);
    const files = new Map<string, Asset>([
      ["/", { body: new TextEncoder().encode(html), type: "text/html; charset=utf-8", immutable: false }],
      [jsName, { body: js, type: "text/javascript; charset=utf-8", immutable: true }],
      [cssName, { body: css, type: "text/css; charset=utf-8", immutable: true }],
      ["/icon.svg", { body: icon, type: "image/svg+xml", immutable: false }],
    ]);
    return new PageAssets(files);
  }

  /** The response for a GET of `path`, or null when there is no such file. */
  respond(path: string): Response | null {
    const a = this.files.get(path === "/index.html" ? "/" : path);
    if (!a) return null;
    return new Response(a.body, {
      headers: {
        ...SECURITY_HEADERS,
        "content-type": a.type,
        "cache-control": a.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      },
    });
  }
}

function hash(b: Uint8Array): string {
  return Bun.hash(b).toString(16).padStart(16, "0").slice(0, 12);
}
