/**
 * What the page keeps in the browser's storage for each user, so a reload
 * or a closed tab loses nothing the cluster does not hold: the open
 * windows and how far each was read, the window last open, and the posts
 * queued while the connection was down. Read back defensively: anything
 * malformed is left out.
 *
 * @module
 */

export interface Queued {
  /** The window: `#channel` or `@user`. */
  key: string;
  id: string;
  text: string;
}

export interface Saved {
  windows: { key: string; lastRead: number }[];
  active: string | null;
  outbox: Queued[];
}

type Store = Pick<Storage, "getItem" | "setItem"> | null;

const keyOf = (me: string) => `bbs-web:${me}`;
const WINDOW = /^[#@]./;

export function loadSaved(storage: Store, me: string): Saved {
  const out: Saved = { windows: [], active: null, outbox: [] };
  let raw: Partial<Saved>;
  try {
    raw = JSON.parse(storage?.getItem(keyOf(me)) ?? "{}") as Partial<Saved>;
  } catch {
    return out;
  }
  for (const w of Array.isArray(raw.windows) ? raw.windows : []) {
    if (typeof w?.key === "string" && WINDOW.test(w.key)) out.windows.push({ key: w.key, lastRead: typeof w.lastRead === "number" ? w.lastRead : 0 });
  }
  for (const q of Array.isArray(raw.outbox) ? raw.outbox : []) {
    if (typeof q?.key === "string" && WINDOW.test(q.key) && typeof q.id === "string" && typeof q.text === "string") out.outbox.push({ key: q.key, id: q.id, text: q.text });
  }
  out.active = typeof raw.active === "string" ? raw.active : null;
  return out;
}

export function storeSaved(storage: Store, me: string, saved: Saved): void {
  try {
    storage?.setItem(keyOf(me), JSON.stringify(saved));
  } catch {
    // storage full or refused: the page works on without it
  }
}
