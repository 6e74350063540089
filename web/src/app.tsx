import { Provider, useSubscription } from "@urql/preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { createConsoleClient } from "./client.js";
import { SnapshotUpdatedSubscription } from "./operations.js";
import { AppPage } from "./pages/app.js";
import { HostPage } from "./pages/host.js";
import { HostsPage } from "./pages/hosts.js";
import { SnapshotPage } from "./pages/snapshot.js";
import { SoftwarePage, TitlePage } from "./pages/software.js";
import { Link, RouterProvider, useRouter } from "./router.js";
import { effectiveTheme, nextTheme, parseTheme, THEME_KEY, type ThemeChoice } from "./theme.js";
import { createTokenStore } from "./token.js";
import { RetryContext, useRowKeys } from "./ui.js";

function storage(kind: "localStorage" | "sessionStorage"): Storage | null {
  try {
    return window[kind];
  } catch {
    return null;
  }
}

const darkQuery = matchMedia("(prefers-color-scheme: dark)");

function useTheme(): [ThemeChoice, () => void] {
  const [choice, setChoice] = useState<ThemeChoice>(() => parseTheme(storage("localStorage")?.getItem(THEME_KEY) ?? null));
  const [prefersDark, setPrefersDark] = useState(darkQuery.matches);
  useEffect(() => {
    const onChange = () => setPrefersDark(darkQuery.matches);
    darkQuery.addEventListener("change", onChange);
    return () => darkQuery.removeEventListener("change", onChange);
  }, []);
  useEffect(() => {
    document.documentElement.dataset["theme"] = effectiveTheme(choice, prefersDark);
  }, [choice, prefersDark]);
  const cycle = () => {
    const next = nextTheme(choice);
    setChoice(next);
    try {
      if (next === "system") storage("localStorage")?.removeItem(THEME_KEY);
      else storage("localStorage")?.setItem(THEME_KEY, next);
    } catch {
      // not kept: the choice holds for this page
    }
  };
  return [choice, cycle];
}

const LIVE_TITLES = {
  connecting: "Connecting for live updates",
  live: "Live: new snapshots appear as they land",
  offline: "Not connected for live updates",
} as const;

/** Subscribed for as long as the console is open: rows everywhere update from it, through the cache. */
function LiveUpdates() {
  useSubscription({ query: SnapshotUpdatedSubscription });
  return null;
}

function Page() {
  const { route } = useRouter();
  useEffect(() => {
    const titles: Record<string, string> = { hosts: "Hosts", host: "Host", app: "App", snapshot: "Snapshot", software: "Software", title: "Software", "not-found": "Not found" };
    document.title = `${titles[route.page]} · osquery inventory`;
  }, [route.page]);
  switch (route.page) {
    case "hosts":
      return <HostsPage route={route} />;
    case "host":
      return <HostPage key={route.id} route={route} />;
    case "app":
      return <AppPage route={route} />;
    case "snapshot":
      return <SnapshotPage key={route.id} route={route} />;
    case "software":
      return <SoftwarePage route={route} />;
    case "title":
      return <TitlePage route={route} />;
    case "not-found":
      return (
        <div class="empty">
          <h1>Not found</h1>
          <p>
            The console has no page at <code>{route.path}</code>. <Link to="/">Go to the hosts</Link>
          </p>
        </div>
      );
  }
}

function TokenPrompt({ refused, onToken }: { refused: boolean; onToken: (token: string) => boolean }) {
  const [value, setValue] = useState("");
  const [invalid, setInvalid] = useState(false);
  return (
    <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="token-title">
      <form
        class="token-form"
        onSubmit={(e) => {
          e.preventDefault();
          setInvalid(!onToken(value));
        }}
      >
        <h2 id="token-title">This server needs its API token</h2>
        <p>
          Reads are protected (<code>AUTH_READS=true</code>). Enter the token the service was started with (<code>API_TOKEN</code> or{" "}
          <code>API_TOKEN_FILE</code>). It is kept for this browser tab only.
        </p>
        {refused ? <p class="result bad">The server refused that token.</p> : null}
        {invalid ? <p class="result bad">A token is one word without spaces.</p> : null}
        <label class="field">
          <span>API token</span>
          <input type="password" name="token" autoComplete="current-password" autoFocus value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary">
          Continue
        </button>
      </form>
    </div>
  );
}

export function App() {
  const tokens = useMemo(() => createTokenStore(storage("sessionStorage")), []);
  const [token, setToken] = useState(() => tokens.get());
  const [authRequired, setAuthRequired] = useState(false);
  // A new client for every token entered, even the same one again: the refused client is done.
  const [attempt, setAttempt] = useState(0);
  // Connecting until the websocket first opens or fails: "offline" on every page load was untrue.
  const [live, setLive] = useState<"connecting" | "live" | "offline">("connecting");
  // Lost after having been live: the service stopped, restarted or became unreachable.
  const [lost, setLost] = useState(false);
  const wasLive = useRef(false);
  const [theme, cycleTheme] = useTheme();
  useRowKeys();
  const { client, dispose, retry } = useMemo(() => {
    const base = `${location.protocol}//${location.host}/graphql`;
    return createConsoleClient({
      url: base,
      wsUrl: base.replace(/^http/, "ws"),
      token,
      onAuthRequired: () => setAuthRequired(true),
      onLive: (on) => {
        if (wasLive.current && !on) setLost(true);
        if (on) setLost(false);
        wasLive.current = on;
        setLive(on ? "live" : "offline");
      },
    });
  }, [token, attempt]);
  useEffect(() => dispose, [dispose]);

  return (
    <RouterProvider>
      <Provider value={client}>
        <SkipLink />
        <header class="top">
          <Link to="/" class="brand">
            osquery inventory
          </Link>
          <nav aria-label="Console">
            <NavLinks />
            <a href="/graphql">GraphiQL</a>
          </nav>
          <span class={live === "live" ? "live on" : "live"} title={LIVE_TITLES[live]}>
            {live === "connecting" ? "connecting…" : live}
          </span>
          <button type="button" class="theme" onClick={cycleTheme} aria-label={`Theme: ${theme} (change)`}>
            {theme === "system" ? "◐ auto" : theme === "dark" ? "☾ dark" : "☀ light"}
          </button>
        </header>
        <main key={attempt} id={MAIN_ID} tabIndex={-1}>
          {lost && !authRequired ? (
            <p class="notice lost" role="status">
              Lost the connection to the service: this page shows what it had and is not updated. It reconnects by itself and then reads
              everything again.
            </p>
          ) : null}
          {authRequired ? null : <LiveUpdates />}
          <RetryContext.Provider value={retry}>{authRequired ? null : <Page />}</RetryContext.Provider>
          <p class="keys hide-narrow">
            <kbd>j</kbd> <kbd>k</kbd> move between rows · <kbd>Enter</kbd> opens · <kbd>/</kbd> searches
          </p>
        </main>
        {authRequired ? (
          <TokenPrompt
            refused={token !== null}
            onToken={(value) => {
              const kept = tokens.set(value);
              if (kept === null) return false;
              setToken(kept);
              setAttempt((a) => a + 1);
              setAuthRequired(false);
              return true;
            }}
          />
        ) : null}
      </Provider>
    </RouterProvider>
  );
}

const MAIN_ID = "main";

/**
 * The first stop of Tab on every page: past the header's links to the page itself. It focuses the
 * main region rather than following "#main", which would put a fragment in the page's URL.
 */
function SkipLink() {
  return (
    <a
      class="skip-link"
      href={`#${MAIN_ID}`}
      onClick={(event) => {
        event.preventDefault();
        document.getElementById(MAIN_ID)?.focus();
      }}
    >
      Skip to main content
    </a>
  );
}

function NavLinks() {
  const { route } = useRouter();
  const inSoftware = route.page === "software" || route.page === "title";
  return (
    <>
      <Link to="/" aria-current={inSoftware ? undefined : "page"}>
        Hosts
      </Link>
      <Link to="/software" aria-current={inSoftware ? "page" : undefined}>
        Software
      </Link>
    </>
  );
}
