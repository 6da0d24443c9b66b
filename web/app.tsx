/**
 * The page: the login form, then the chat (sidebar, messages, input).
 * The name is kept for the tab (sessionStorage), so a reload logs in
 * again; the last name used is offered on the form. A password (owned
 * names) is kept nowhere but in the tab's {@link Chat}: after a reload of
 * a tab that logged in with one, the form asks for it again.
 *
 * @module
 */
import { useEffect, useReducer, useRef, useState } from "preact/hooks";
import { MAX_PASSWORD_BYTES, passwordProblem } from "../shared/web/protocol.ts";
import { Chat, gatewayUrl, type LoginError } from "./chat.ts";
import { checkName } from "./commands.ts";
import { Composer } from "./composer.tsx";
import { Messages } from "./messages.tsx";
import { notifier } from "./notify.ts";
import { Sidebar, StatusPill } from "./sidebar.tsx";

const TAB_USER = "bbs-web:user";
const LAST_USER = "bbs-web:last-user";
/** Set for a tab whose login carried a password (never the password itself). */
const TAB_PASSWORD = "bbs-web:with-password";

function startChat(user: string, password?: string): Chat {
  const chat: Chat = new Chat(
    user,
    {
      url: gatewayUrl(location),
      storage: localStorage,
      visible: () => document.visibilityState === "visible",
      notify: notifier((key) => chat.open(key)),
    },
    password,
  );
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
    return u && !sessionStorage.getItem(TAB_PASSWORD) ? startChat(u) : null;
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

  const login = (user: string, password?: string) => {
    sessionStorage.setItem(TAB_USER, user);
    if (password !== undefined) sessionStorage.setItem(TAB_PASSWORD, "1");
    else sessionStorage.removeItem(TAB_PASSWORD);
    localStorage.setItem(LAST_USER, user);
    setChat(startChat(user, password));
  };
  const logout = () => {
    chat?.stop();
    sessionStorage.removeItem(TAB_USER);
    sessionStorage.removeItem(TAB_PASSWORD);
    setChat(null);
  };
  if (!chat || chat.loginError) {
    const reloaded = !chat && sessionStorage.getItem(TAB_PASSWORD) ? sessionStorage.getItem(TAB_USER) : null;
    const error = chat?.loginError ?? (reloaded ? { text: `Enter the password of ${reloaded} again to log back in.`, password: true } : null);
    return <Login user={chat?.me ?? reloaded ?? localStorage.getItem(LAST_USER) ?? ""} error={error} onLogin={login} />;
  }
  return <ChatView chat={chat} onLogout={logout} />;
}

function Login({ user, error, onLogin }: { user: string; error: LoginError | null; onLogin: (user: string, password?: string) => void }) {
  const [name, setName] = useState(user);
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<LoginError | null>(error);
  const passwordField = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (problem?.password) passwordField.current?.focus();
  }, [problem]);
  const submit = (e: Event) => {
    e.preventDefault();
    const u = name.trim();
    const bad = checkName("name", u);
    if (bad) return setProblem({ text: bad, password: false });
    const badPassword = password === "" ? null : passwordProblem(password);
    if (badPassword) return setProblem({ text: badPassword, password: true });
    onLogin(u, password === "" ? undefined : password);
  };
  return (
    <main class="login">
      <form onSubmit={submit} class="login-box">
        <img src="/icon.svg" alt="" width={56} height={56} />
        <h1>bbs chat</h1>
        <label for="login-name">Your name</label>
        <input id="login-name" name="user" autoFocus={!problem?.password} autoComplete="username" maxLength={64} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <label for="login-password">
          Password <span class="login-optional">(optional)</span>
        </label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          maxLength={MAX_PASSWORD_BYTES}
          aria-describedby="login-password-hint"
          aria-invalid={problem?.password ? "true" : undefined}
          ref={passwordField}
          value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
        />
        <p id="login-password-hint" class="login-hint">
          A password registers the name if nobody has yet; from then on the name logs in only with it.
        </p>
        {problem && (
          <p class="login-error" role="alert" data-problem={problem.password ? "password" : "name"}>
            {problem.text}
          </p>
        )}
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
