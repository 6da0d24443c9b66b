/**
 * `/me` actions on the wire, as the terminal client sends them: the text
 * `/me waves` (which a client that does not know it still shows as
 * text). IRC's CTCP form, `\x01ACTION waves\x01`, is read too. Pure, for
 * the page and any other client.
 *
 * @module
 */

/** What the terminal client puts before an action (shared/client/tui/format.ts, ACTION_PREFIX). */
export const ACTION_PREFIX = "/me ";
const CTCP = "\u0001ACTION ";

/** The message text that says the sender `does`. */
export function actionText(does: string): string {
  return ACTION_PREFIX + does;
}

/** What an action message says the sender does, or null if the text is not an action. */
export function readAction(text: string): string | null {
  let body: string | null = null;
  if (text.startsWith(ACTION_PREFIX)) body = text.slice(ACTION_PREFIX.length);
  else if (text.startsWith(CTCP)) body = text.slice(CTCP.length).replace(/\u0001$/, "");
  return body !== null && body.trim() !== "" ? body : null;
}
