/**
 * Browser notifications for mentions and private messages while the page
 * is in the background: shown only once the user allowed them (the page
 * asks only when the user clicks to turn them on), one per window at a
 * time, and a click brings the page and that window up.
 *
 * @module
 */

export type Permission = "default" | "granted" | "denied" | "unsupported";

export function permission(): Permission {
  return "Notification" in globalThis ? Notification.permission : "unsupported";
}

/** Asks the browser for permission; resolves with the answer. */
export async function askPermission(): Promise<Permission> {
  if (!("Notification" in globalThis)) return "unsupported";
  return Notification.requestPermission();
}

/** A function that shows a notification (when allowed) and opens `key` on a click. */
export function notifier(open: (key: string) => void): (title: string, body: string, key: string) => void {
  return (title, body, key) => {
    if (permission() !== "granted") return;
    try {
      const n = new Notification(title, { body: body.length > 200 ? body.slice(0, 199) + "…" : body, tag: key });
      n.onclick = () => {
        focus();
        open(key);
        n.close();
      };
    } catch {
      // some browsers only notify from a service worker; the unread marks still show
    }
  };
}
