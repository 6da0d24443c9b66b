/**
 * The input: Enter sends (Shift+Enter for a new line), Tab completes a
 * name, ↑ and ↓ go through what was sent. It grows with its text up to a
 * few lines and works while the connection is down (posts wait in the
 * queue).
 *
 * @module
 */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Chat } from "./chat.ts";

const RECALL = 50;

export function Composer({ chat }: { chat: Chat }) {
  const [text, setText] = useState("");
  const area = useRef<HTMLTextAreaElement>(null);
  const sent = useRef<string[]>([]);
  const recall = useRef(-1);
  const w = chat.current;

  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
  }, [text]);

  const send = () => {
    if (text.trim() === "") return;
    sent.current = [text, ...sent.current.filter((s) => s !== text)].slice(0, RECALL);
    recall.current = -1;
    void chat.input(text);
    setText("");
  };

  const onKey = (e: KeyboardEvent) => {
    const el = e.currentTarget as HTMLTextAreaElement;
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === "Tab" && !e.shiftKey) {
      const done = complete(el.value, el.selectionStart, chat);
      if (done) {
        e.preventDefault();
        setText(done.text);
        requestAnimationFrame(() => el.setSelectionRange(done.at, done.at));
      }
    } else if ((e.key === "ArrowUp" || e.key === "ArrowDown") && !el.value.slice(0, el.selectionStart).includes("\n")) {
      const next = recall.current + (e.key === "ArrowUp" ? 1 : -1);
      if (e.key === "ArrowUp" && next >= sent.current.length) return;
      if (e.key === "ArrowDown" && recall.current < 0) return;
      e.preventDefault();
      recall.current = Math.max(-1, next);
      setText(recall.current < 0 ? "" : sent.current[recall.current]!);
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea
        ref={area}
        rows={1}
        aria-label="Message"
        placeholder={w ? `Message ${w.key}` : "Type /join #channel"}
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        onKeyDown={onKey}
        autoFocus
        spellcheck
        enterkeyhint="send"
      />
      <button type="submit" class="send" aria-label="Send">
        ➤
      </button>
    </form>
  );
}

/** Completes the word before the caret with a known name (`name: ` at the start of the line). */
function complete(value: string, caret: number, chat: Chat): { text: string; at: number } | null {
  const before = value.slice(0, caret);
  const m = /(^|\s)(@?)([^\s@]+)$/.exec(before);
  if (!m) return null;
  const stem = m[3]!.toLowerCase();
  const names = [...chat.users].filter((u) => u !== chat.me && u.toLowerCase().startsWith(stem)).sort();
  if (names.length === 0) return null;
  const start = before.length - m[3]!.length - m[2]!.length;
  const word = m[2]! + names[0]! + (start === 0 && !m[2] ? ": " : " ");
  return { text: value.slice(0, start) + word + value.slice(caret), at: start + word.length };
}
