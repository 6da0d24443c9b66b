/**
 * The sidebar: channels, then private conversations, each with its
 * unread count and a mark when it mentions us; joining a channel; the
 * notifications switch; logging out. And the connection's state, shown
 * in the top bar.
 *
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import type { Chat } from "./chat.ts";
import { checkName } from "./commands.ts";
import { askPermission, permission, type Permission } from "./notify.ts";
import type { Win } from "./windows.ts";

export function Sidebar({ chat, onPick, onLogout }: { chat: Chat; onPick: (key: string) => void; onLogout: () => void }) {
  const channels = chat.windows.filter((w) => w.type === "channel");
  const queries = chat.windows.filter((w) => w.type === "query");
  return (
    <aside class="sidebar">
      <div class="me">
        <img src="/icon.svg" alt="" width={28} height={28} />
        <span class="me-name" title="logged in as">{chat.me}</span>
      </div>
      <nav class="windows" aria-label="Channels and conversations">
        <h3>Channels</h3>
        {channels.map((w) => <Entry key={w.key} w={w} active={w.key === chat.active} onPick={onPick} />)}
        <JoinForm chat={chat} onJoined={onPick} />
        <h3>Private</h3>
        {queries.length === 0 && <p class="hint">Nobody yet — /query name</p>}
        {queries.map((w) => <Entry key={w.key} w={w} active={w.key === chat.active} onPick={onPick} />)}
      </nav>
      <footer class="sidebar-foot">
        <NotifySwitch />
        <button class="link-button" onClick={onLogout}>Log out</button>
      </footer>
    </aside>
  );
}

function Entry({ w, active, onPick }: { w: Win; active: boolean; onPick: (key: string) => void }) {
  const cls = ["entry", active && "active", w.unread > 0 && "unread", w.mention && "mention"].filter(Boolean).join(" ");
  return (
    <button class={cls} data-key={w.key} data-unread={w.unread} data-mention={w.mention ? "1" : "0"} onClick={() => onPick(w.key)} aria-current={active ? "page" : undefined}>
      <span class="entry-name">
        <span class="sigil">{w.type === "channel" ? "#" : "@"}</span>
        {w.name}
      </span>
      {w.unread > 0 && (
        <span class="badge" aria-label={`${w.unread} unread${w.mention ? ", mentions you" : ""}`}>
          {w.mention && "@ "}
          {w.unread > 999 ? "999+" : w.unread}
        </span>
      )}
    </button>
  );
}

function JoinForm({ chat, onJoined }: { chat: Chat; onJoined: (key: string) => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  if (!open) {
    return (
      <button class="entry join-button" onClick={() => setOpen(true)}>
        + Join a channel
      </button>
    );
  }
  const submit = (e: Event) => {
    e.preventDefault();
    const channel = name.trim().replace(/^#/, "");
    const bad = checkName("channel", channel);
    if (bad) return setError(bad);
    void chat.join(channel);
    setOpen(false);
    setName("");
    setError(null);
    onJoined(`#${channel}`);
  };
  return (
    <form class="join-form" onSubmit={submit}>
      <input aria-label="Channel name" placeholder="#channel" autoFocus maxLength={65} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key === "Escape" && setOpen(false)} />
      {error && <p class="join-error">{error}</p>}
    </form>
  );
}

function NotifySwitch() {
  const [state, setState] = useState<Permission>(permission());
  if (state === "unsupported") return null;
  if (state === "granted") return <span class="notify-state">Notifications on</span>;
  if (state === "denied") return <span class="notify-state">Notifications blocked in this browser</span>;
  return (
    <button class="link-button" onClick={() => void askPermission().then(setState)}>
      Notify me of mentions and private messages
    </button>
  );
}

/** The link to the gateway and the cluster, and what is waiting to be sent. */
export function StatusPill({ chat }: { chat: Chat }) {
  const s = chat.status;
  const [, tick] = useState(0);
  useEffect(() => {
    if (s.link !== "offline") return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [s.link]);
  const state = s.link === "online" && !s.cluster ? "unreachable" : s.link;
  const label =
    state === "online" ? "Connected"
    : state === "connecting" ? "Connecting…"
    : state === "unreachable" ? "No server answers"
    : `Offline — retrying in ${Math.max(0, Math.ceil(((s.retryAt ?? Date.now()) - Date.now()) / 1000))} s`;
  const queued = chat.queued;
  return (
    <div class={`status ${state}`} data-state={state} role="status" title={s.why ?? ""}>
      <span class="dot" />
      <span class="status-text">{label}</span>
      {queued > 0 && <span class="queued">{queued} queued</span>}
      {state === "offline" && (
        <button class="link-button" onClick={() => chat.reconnectNow()}>
          Retry now
        </button>
      )}
    </div>
  );
}
