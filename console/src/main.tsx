/**
 * The console's shell: sign-in gate, the nav built from the page registry (only pages the principal's scopes
 * allow), a light/dark switch, and the router over every page's routes under /console.
 */
import { render } from "preact";
import { LocationProvider, Route, Router, useLocation } from "preact-iso";
import { useEffect, useState } from "preact/hooks";
import { can, onSessionChange, principal, resume, signOut } from "./api/session";
import { BASE, href } from "./pages/page";
import { PAGES } from "./pages/registry";
import { SignIn } from "./sign-in";
import "./styles.css";

function visible() {
  return PAGES.filter((p) => p.scopes.length === 0 || p.scopes.some(can));
}

function NotFound() {
  return (
    <section class="card">
      <h2>Not found</h2>
      <p>
        No console page here. <a href={href("")}>Back to the overview</a>.
      </p>
    </section>
  );
}

function Nav() {
  const { path } = useLocation();
  return (
    <nav class="nav" aria-label="pages">
      {visible().map((p) => {
        const to = href(p.path);
        const here = p.path === "" ? path === BASE || path === `${BASE}/` : path.startsWith(to);
        return (
          <a key={p.path} href={to} aria-current={here ? "page" : undefined}>
            {p.title}
          </a>
        );
      })}
    </nav>
  );
}

/** The system's scheme until the operator picks one; the pick is remembered (it is not a secret). */
function Theme() {
  const [dark, setDark] = useState(() => {
    const stored = localStorage.getItem("botplane.theme");
    return stored ? stored === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  });
  useEffect(() => {
    document.documentElement.dataset.theme = dark ? "dark" : "light";
  }, [dark]);
  function toggle() {
    localStorage.setItem("botplane.theme", dark ? "light" : "dark");
    setDark(!dark);
  }
  return (
    <button type="button" class="ghost" aria-pressed={dark} onClick={toggle}>
      {dark ? "Light" : "Dark"}
    </button>
  );
}

function Shell() {
  const who = principal();
  return (
    <LocationProvider scope={BASE}>
      <header class="top">
        <a class="brand" href={href("")}>
          botplane
        </a>
        <Nav />
        <span class="who" title={who?.granted.join(" ")}>
          {who?.sub}
        </span>
        <Theme />
        <button type="button" class="ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main class="page">
        <Router>
          {[
            ...visible().flatMap((p) =>
              p.routes.map((r) => (
                <Route
                  key={`${p.path}/${r.path}`}
                  path={href([p.path, r.path].filter(Boolean).join("/"))}
                  component={r.component}
                />
              )),
            ),
            <Route key="404" default component={NotFound} />,
          ]}
        </Router>
      </main>
    </LocationProvider>
  );
}

function App() {
  const [, setVersion] = useState(0);
  const [ready, setReady] = useState(false);
  useEffect(() => onSessionChange(() => setVersion((v) => v + 1)), []);
  useEffect(() => {
    void resume().finally(() => setReady(true));
  }, []);
  if (!ready) return <p class="muted">Loading…</p>;
  return principal() ? <Shell /> : <SignIn />;
}

const root = document.getElementById("app");
if (root) render(<App />, root);
