/**
 * The message view of one window: a line per message with its time, day
 * separators, the "new messages" marker, own posts marked while they wait
 * to be stored. It stays at the bottom as messages come unless the user
 * scrolled up, and loads older pages when scrolled near the top, keeping
 * what was on screen where it was. Text goes in as text nodes and links
 * as anchors: nothing anyone sends becomes HTML.
 *
 * @module
 */
import { useLayoutEffect, useRef } from "preact/hooks";
import type { Chat } from "./chat.ts";
import { dayLabel, dayOf, pieces, timeOfDay, visible } from "./text.ts";
import type { Line, Win } from "./windows.ts";

/** How close to the top (px) scrolling starts loading older messages. */
const NEAR_TOP = 300;

export function Messages({ chat, win }: { chat: Chat; win: Win }) {
  const box = useRef<HTMLElement>(null);
  const atBottom = useRef(true);
  const last = useRef({ key: "", first: undefined as string | undefined, height: 0 });

  const maybeLoad = () => {
    const el = box.current;
    if (!el || !win.more || win.loading || !win.loaded) return;
    if (el.scrollTop < NEAR_TOP || el.scrollHeight <= el.clientHeight) void chat.loadOlder(win.key);
  };

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const first = win.lines[0]?.key;
    const prev = last.current;
    if (prev.key !== win.key) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    } else if (first !== prev.first && prev.first !== undefined && !atBottom.current) {
      // Older lines went in above: keep the same lines on screen.
      el.scrollTop += el.scrollHeight - prev.height;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    last.current = { key: win.key, first, height: el.scrollHeight };
    maybeLoad();
  });

  const onScroll = () => {
    const el = box.current!;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    maybeLoad();
  };

  const rows: preact.JSX.Element[] = [];
  let day = 0;
  for (const l of win.lines) {
    const d = dayOf(l.timestamp);
    if (d !== day) {
      day = d;
      rows.push(
        <div class="day" key={`day-${d}-${l.key}`} role="separator">
          <span>{dayLabel(l.timestamp)}</span>
        </div>,
      );
    }
    if (l.key === win.marker) {
      rows.push(
        <div class="marker" key="marker" role="separator">
          <span>New messages</span>
        </div>,
      );
    }
    rows.push(<Row key={l.key} l={l} chat={chat} />);
  }

  return (
    <section class="messages" ref={box} onScroll={onScroll} aria-live="polite" data-window={win.key}>
      <div class="history-top">
        {win.loading ? "Loading older messages…" : !win.more && win.loaded ? `This is the beginning of ${win.key}.` : ""}
      </div>
      {rows}
    </section>
  );
}

function Row({ l, chat }: { l: Line; chat: Chat }) {
  const cls = ["line", `k-${l.kind}`, l.own && "own", l.mention && "mention", l.state].filter(Boolean).join(" ");
  const when = new Date(l.timestamp);
  return (
    <div class={cls} data-id={l.id} data-ts={l.timestamp}>
      <time dateTime={when.toISOString()} title={when.toLocaleString()}>
        {timeOfDay(l.timestamp)}
      </time>
      {l.kind === "message" && <span class={`from c${colour(l.from ?? "")}`}>{visible(l.from ?? "")}</span>}
      <span class="text">
        {l.kind === "action" && <b class={`from c${colour(l.from ?? "")}`}>* {visible(l.from ?? "")} </b>}
        <Text text={l.text} chat={chat} />
        {l.state === "pending" && <span class="sending" title="Not stored yet; sent once the connection is back"> sending…</span>}
        {l.state === "failed" && <span class="not-sent"> not sent: {l.why}</span>}
      </span>
    </div>
  );
}

function Text({ text, chat }: { text: string; chat: Chat }) {
  return (
    <>
      {pieces(visible(text)).map((p, i) =>
        p.kind === "text" ? p.text
        : p.kind === "link" ? (
          <a key={i} href={p.href} target="_blank" rel="noopener noreferrer nofollow ugc">
            {p.text}
          </a>
        ) : (
          <a
            key={i}
            class="chan"
            href={`#${encodeURIComponent(p.channel)}`}
            onClick={(e) => {
              e.preventDefault();
              void chat.join(p.channel);
            }}
          >
            {p.text}
          </a>
        ),
      )}
    </>
  );
}

/** One of 12 name colours, the same for a name everywhere. */
function colour(name: string): number {
  let h = 0;
  for (const c of name) h = (h * 31 + c.codePointAt(0)!) >>> 0;
  return h % 12;
}
