/**
 * The page: the login form, then the chat (sidebar, messages, input).
 * The name is kept for the tab (sessionStorage), so a reload logs in
 * again; the last name used is offered on the form.
 *
 * @module
 */
import { useEffect, useReducer, useState } from "preact/hooks";
import { Chat, gatewayUrl } from "./chat.ts";
import { checkName } from "./commands.ts";
import { Composer } from "./composer.tsx";
import { Messages } from "./messages.tsx";
import { notifier } from "./notify.ts";
import { Sidebar, StatusPill } from "./sidebar.tsx";

const TAB_USER = "bbs-web:user";
const LAST_USER = "bbs-web:last-user";

function startChat(user: string): Chat {
  const chat: Chat = new Chat(user, {
    url: gatewayUrl(location),
    storage: localStorage,
    visible: () => document.visibilityState === "visible",
    notify: notifier((key) => chat.open(key)),
  });
  chat.start();
  return chat;
}

/** Re-renders on every change of the chat. */
function useChat(chat: Chat | null): void {
  const [, bump] = useReducer((n: number, _: void) => n + 1, 0);
  useEffect(() => chat?.subscribe(() => bump()), [chat]);
}

export function App() {
  const [chat, setChat] = useState<Chat | null>(() => {
    const u = sessionStorage.getItem(TAB_USER);
    return u ? startChat(u) : null;
  });
  useChat(chat);
  useEffect(() => {
    const onVisible = () => document.visibilityState === "visible" && chat?.seen();
    document.addEventListener("visibilitychange", onVisible);
    addEventListener("focus", onVisible);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      removeEventListener("focus", onVisible);
    };
  }, [chat]);
  const unread = chat?.windows.reduce((n, w) => n + w.unread, 0) ?? 0;
  useEffect(() => {
    document.title = `${unread > 0 ? `(${unread}) ` : ""}${chat?.current ? `${chat.current.key} — ` : ""}bbs chat`;
  }, [unread, chat?.current?.key]);

  const login = (user: string) => {
    sessionStorage.setItem(TAB_USER, user);
    localStorage.setItem(LAST_USER, user);
    setChat(startChat(user));
  };
  const logout = () => {
    chat?.stop();
    sessionStorage.removeItem(TAB_USER);
    setChat(null);
  };
  if (!chat || chat.loginError) return <Login error={chat?.loginError ?? null} onLogin={login} />;
  return <ChatView chat={chat} onLogout={logout} />;
}

function Login({ error, onLogin }: { error: string | null; onLogin: (user: string) => void }) {
  const [name, setName] = useState(() => localStorage.getItem(LAST_USER) ?? "");
  const [problem, setProblem] = useState<string | null>(error);
  const submit = (e: Event) => {
    e.preventDefault();
    const user = name.trim();
    const bad = checkName("name", user);
    if (bad) return setProblem(bad);
    onLogin(user);
  };
  return (
    <main class="login">
      <form onSubmit={submit} class="login-box">
        <img src="/icon.svg" alt="" width={56} height={56} />
        <h1>bbs chat</h1>
        <label for="login-name">Your name</label>
        <input id="login-name" name="user" autoFocus autoComplete="username" maxLength={64} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        {problem && <p class="login-error" role="alert">{problem}</p>}
        <button type="submit">Log in</button>
      </form>
    </main>
  );
}

function ChatView({ chat, onLogout }: { chat: Chat; onLogout: () => void }) {
  const [menu, setMenu] = useState(false);
  const w = chat.current;
  const pick = (key: string) => {
    chat.open(key);
    setMenu(false);
  };
  return (
    <div class={`app${menu ? " menu-open" : ""}`}>
      <Sidebar chat={chat} onPick={pick} onLogout={onLogout} />
      <div class="scrim" onClick={() => setMenu(false)} />
      <main class="chat">
        <header class="topbar">
          <button class="menu-button" aria-label="Channels" onClick={() => setMenu(!menu)}>
            ☰{chat.windows.some((x) => x.key !== w?.key && x.unread > 0) && <span class="menu-dot" />}
          </button>
          <h2 class="title">{w ? w.key : "No window open"}</h2>
          <StatusPill chat={chat} />
        </header>
        {w ? <Messages chat={chat} win={w} /> : <Welcome chat={chat} />}
        <Composer chat={chat} />
      </main>
    </div>
  );
}

function Welcome({ chat }: { chat: Chat }) {
  return (
    <section class="messages welcome">
      <p>
        Hello, <b>{chat.me}</b>. Join a channel with <code>/join #channel</code>, or start a private conversation with <code>/query name</code>.
      </p>
    </section>
  );
}
