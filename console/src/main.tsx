import { render, type JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createApi } from './api';
import {
  capabilities,
  devSignIn,
  loadEntraConfig,
  probeDevSignIn,
  restoreDevSession,
  startEntra,
  type Capabilities,
  type DevSignInOptions,
  type Session,
} from './auth';
import { AppContext, type AppContextValue } from './ui';
import { AlertsView } from './views/AlertsView';
import { ConfigureView } from './views/ConfigureView';
import { DiagnosticsView } from './views/DiagnosticsView';
import { LookupView } from './views/LookupView';
import { ManualView } from './views/ManualView';
import { MyMailboxesView } from './views/MyMailboxesView';
import { TasksView } from './views/TasksView';
import './styles.css';

interface RouteDef {
  id: string;
  label: string;
  allowed: (caps: Capabilities) => boolean;
  view: () => JSX.Element;
}

const ME_ROUTE: RouteDef = {
  id: 'me',
  label: 'My delegate mailboxes',
  allowed: () => true,
  view: () => <MyMailboxesView />,
};

const ROUTES: RouteDef[] = [
  { id: 'tasks', label: 'Tasks', allowed: (c) => c.reader, view: () => <TasksView /> },
  { id: 'lookup', label: 'Lookup', allowed: (c) => c.reader, view: () => <LookupView /> },
  { id: 'manual', label: 'Manual delegations', allowed: (c) => c.admin, view: () => <ManualView /> },
  { id: 'configure', label: 'Schedules and tasks', allowed: (c) => c.admin, view: () => <ConfigureView /> },
  { id: 'alerts', label: 'Alerts', allowed: (c) => c.admin, view: () => <AlertsView /> },
  { id: 'diagnostics', label: 'Diagnostics', allowed: (c) => c.admin, view: () => <DiagnosticsView /> },
  ME_ROUTE,
];

function currentHashRoute(): string {
  return /^#\/([a-z-]+)/.exec(location.hash)?.[1] ?? '';
}

/**
 * The route in the URL hash; a route this session may not see is dropped when the session starts (left over from a
 * previous sign-in).
 */
function useHashRoute(allowedAtStart: (id: string) => boolean): string {
  const [route, setRoute] = useState(() => {
    const initial = currentHashRoute();
    if (initial && !allowedAtStart(initial)) {
      history.replaceState(null, '', location.pathname + location.search);
      return '';
    }
    return initial;
  });
  useEffect(() => {
    const onChange = () => setRoute(currentHashRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function roleLabel(caps: Capabilities): string {
  return caps.admin ? 'Admin' : caps.reader ? 'Reader' : 'User';
}

function Shell({ session, onSignOut, onExpired }: { session: Session; onSignOut: () => void; onExpired: () => void }) {
  const caps = capabilities(session.claims);
  const expiredRef = useRef(onExpired);
  expiredRef.current = onExpired;
  const api = useMemo(() => createApi(session.getToken, () => expiredRef.current()), [session]);
  const context: AppContextValue = useMemo(() => ({ api, caps, claims: session.claims }), [api, session]);
  const visible = ROUTES.filter((r) => r.allowed(caps));
  const hashRoute = useHashRoute((id) => ROUTES.find((r) => r.id === id)?.allowed(caps) ?? true);
  const route = ROUTES.find((r) => r.id === hashRoute);
  // 'me' is allowed to everyone, so a signed-in user always has a view to land on.
  const active = route?.allowed(caps) ? route : (visible[0] ?? ME_ROUTE);
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    // Tell assistive technology the page changed: focus the new view's heading (not on first load).
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = mainRef.current?.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }, [active.id]);

  useEffect(() => {
    document.title = `${active.label} · Mailbox Permission Sync`;
  }, [active.id]);

  return (
    <AppContext.Provider value={context}>
      {/* A button, not a link: '#main' would be taken for a console route by the hash router. */}
      <button type="button" class="skip-link" onClick={() => mainRef.current?.focus()}>
        Skip to content
      </button>
      <header class="topbar">
        <div class="brand">Mailbox Permission Sync</div>
        <div class="who" data-testid="signed-in-as">
          <span class="who-name">
            {session.claims.preferredUsername ?? session.claims.name ?? session.claims.oid ?? 'signed in'}
          </span>
          <span class={`badge badge-role`}>{roleLabel(caps)}</span>
          {session.kind === 'dev' ? <span class="badge badge-dev">local dev</span> : null}
        </div>
        <button type="button" class="secondary on-dark" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav class="nav" aria-label="Console sections">
        <ul>
          {visible.map((r) => (
            <li key={r.id}>
              <a href={`#/${r.id}`} aria-current={r.id === active.id ? 'page' : undefined}>
                {r.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1} class="main">
        {route && !route.allowed(caps) ? (
          <p class="alert alert-warn" role="alert">
            “{route.label}” needs a role you do not have; showing {active.label} instead.
          </p>
        ) : null}
        {active.view()}
      </main>
    </AppContext.Provider>
  );
}

function DevSignInForm({ options, onSignedIn }: { options: DevSignInOptions; onSignedIn: (s: Session) => void }) {
  const [user, setUser] = useState(options.users[0]?.userPrincipalName ?? '');
  const [other, setOther] = useState('');
  const [role, setRole] = useState(options.roles[0]?.value ?? 'Admin');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await devSignIn(other.trim() || user, role));
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <form class="card signin dev-signin" onSubmit={(e) => void submit(e)} aria-labelledby="dev-signin-h">
      <p class="dev-banner" role="note">
        {options.notice || 'Local development sign-in (tenant simulator only)'}
      </p>
      <h1 id="dev-signin-h">Sign in as a demo user</h1>
      <p class="muted">
        No password: this picker exists only while the local host runs against the built-in tenant simulator.
      </p>
      <div class="field">
        <label for="dev-user">Demo user</label>
        <select id="dev-user" value={user} onChange={(e) => setUser(e.currentTarget.value)}>
          {options.users.map((u) => (
            <option key={u.id} value={u.userPrincipalName}>
              {u.displayName} ({u.userPrincipalName})
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="dev-other">Or another user of the simulated tenant (UPN, e-mail or object id)</label>
        <input
          id="dev-other"
          type="text"
          autoComplete="off"
          spellcheck={false}
          value={other}
          onInput={(e) => setOther(e.currentTarget.value)}
        />
      </div>
      <fieldset class="choice">
        <legend>Role</legend>
        {options.roles.map((r) => (
          <label key={r.value}>
            <input
              type="radio"
              name="dev-role"
              value={r.value}
              checked={role === r.value}
              onChange={() => setRole(r.value)}
            />{' '}
            {r.label}
            {r.claim ? <span class="muted small"> ({r.claim})</span> : null}
          </label>
        ))}
      </fieldset>
      {error ? (
        <p class="alert alert-error" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

type Phase =
  | { kind: 'starting' }
  | { kind: 'dev'; options: DevSignInOptions; message?: string }
  | { kind: 'entra'; signIn: () => Promise<void>; message?: string }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'ready'; session: Session };

async function boot(message?: string): Promise<Phase> {
  const restored = restoreDevSession();
  if (restored && !message) return { kind: 'ready', session: restored };
  const dev = await probeDevSignIn();
  if (dev) return { kind: 'dev', options: dev, ...(message ? { message } : {}) };
  const entraConfig = await loadEntraConfig();
  if ('error' in entraConfig) return { kind: 'unavailable', reason: entraConfig.error };
  try {
    const entra = await startEntra(entraConfig.config);
    if (entra.session && !message) return { kind: 'ready', session: entra.session };
    return { kind: 'entra', signIn: entra.signIn, ...(message ? { message } : {}) };
  } catch (error) {
    return { kind: 'unavailable', reason: `Sign-in with Microsoft failed: ${(error as Error).message}` };
  }
}

function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'starting' });
  useEffect(() => {
    void boot().then(setPhase);
  }, []);

  const signOut = async (message?: string) => {
    if (phase.kind === 'ready') await phase.session.signOut();
    setPhase({ kind: 'starting' });
    setPhase(await boot(message));
  };

  switch (phase.kind) {
    case 'starting':
      return (
        <main class="main narrow" id="main">
          <p role="status">Starting the console…</p>
        </main>
      );
    case 'ready':
      return (
        <Shell
          key={phase.session.claims.oid ?? 'session'}
          session={phase.session}
          onSignOut={() => void signOut()}
          onExpired={() => void signOut('Your session has expired; please sign in again.')}
        />
      );
    case 'dev':
      return (
        <main class="main narrow" id="main">
          {phase.message ? (
            <p class="alert alert-warn" role="alert">
              {phase.message}
            </p>
          ) : null}
          <DevSignInForm options={phase.options} onSignedIn={(session) => setPhase({ kind: 'ready', session })} />
        </main>
      );
    case 'entra':
      return (
        <main class="main narrow" id="main">
          <div class="card signin">
            <h1>Mailbox Permission Sync</h1>
            {phase.message ? (
              <p class="alert alert-warn" role="alert">
                {phase.message}
              </p>
            ) : null}
            <p>Sign in with your Microsoft Entra ID work account.</p>
            <button type="button" onClick={() => void phase.signIn()}>
              Sign in with Microsoft
            </button>
          </div>
        </main>
      );
    case 'unavailable':
      return (
        <main class="main narrow" id="main">
          <div class="card signin">
            <h1>Mailbox Permission Sync</h1>
            <p class="alert alert-error" role="alert">
              {phase.reason}
            </p>
          </div>
        </main>
      );
  }
}

const root = document.getElementById('app');
if (root) render(<App />, root);
