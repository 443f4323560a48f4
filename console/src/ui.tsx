import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorText, type Api } from './api';
import type { Capabilities, Claims } from './auth';
import { RIGHT_LABELS, type Page, type Problem, type RightEntry, type RunStatus, type Via } from './types';

export interface AppContextValue {
  api: Api;
  caps: Capabilities;
  claims: Claims;
}

export const AppContext = createContext<AppContextValue | null>(null);

/** The signed-in session's API client and capabilities. */
export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside a signed-in console');
  return value;
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when its dependencies change; a late answer to an older request is dropped. */
export function useLoad<T>(load: (() => Promise<T>) | null, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: load !== null,
  });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    if (!load) {
      setState({ data: undefined, error: undefined, loading: false });
      return;
    }
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => mine === generation.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => mine === generation.current && setState({ data: undefined, error, loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const problem = error instanceof ApiError ? error.problem : undefined;
  return (
    <div class="alert alert-error" role="alert">
      <strong>
        {problem ? `${problem.title}${problem.status ? ` (${problem.status})` : ''}` : 'Something went wrong'}
      </strong>
      <p>{errorText(error)}</p>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** An ISO instant in the viewer's locale and zone, inside <time> so the exact value stays machine-readable. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return <span>{iso}</span>;
  return (
    <time dateTime={iso} title={iso}>
      {dateTime.format(date)}
    </time>
  );
}

const STATUS_LABEL: Record<RunStatus, string> = {
  queued: 'Queued',
  expanding: 'Expanding target',
  running: 'Running',
  succeeded: 'Succeeded',
  completedWithErrors: 'Completed with errors',
  needsReview: 'Needs review',
  failed: 'Failed',
  skipped: 'Skipped',
};

/** How the console names a run status. */
export function runStatusLabel(status: RunStatus): string {
  return STATUS_LABEL[status] ?? status;
}

export function RunStatusBadge({ status }: { status: RunStatus }) {
  return <span class={`badge badge-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}

/** Claimed, expanding its target or syncing: the task cannot start another run (RUN_STATUSES on the server). */
export function isActive(status: RunStatus): boolean {
  return status === 'queued' || status === 'expanding' || status === 'running';
}

export function SourceBadge({ source }: { source: RightEntry['source'] }) {
  return (
    <span class={`badge ${source === 'Manual' ? 'badge-manual' : 'badge-sync'}`}>
      {source === 'Manual' ? 'Manual' : 'Mailbox Permission Sync'}
    </span>
  );
}

export function ViaList({ via }: { via: Via[] }) {
  if (via.length === 0) return <span class="muted">—</span>;
  return (
    <span class="via">
      {via.map((v, i) => (
        <span key={v.kind === 'group' ? v.id : 'direct'}>
          {i > 0 ? ', ' : ''}
          {v.kind === 'direct' ? 'Direct' : <span title={v.id}>Group: {v.displayName || v.id}</span>}
        </span>
      ))}
    </span>
  );
}

export function rightLabel(right: string): string {
  return (RIGHT_LABELS as Record<string, string>)[right] ?? right;
}

/** The field-level issues of a 400 problem whose path is `field` or lies under it. */
export function issuesFor(problem: Problem | undefined, field: string): string[] {
  if (!problem?.errors) return [];
  return problem.errors
    .filter((e) => e.path === field || e.path.startsWith(`${field}.`))
    .map((e) => (e.path === field ? e.message : `${e.path.slice(field.length + 1)}: ${e.message}`));
}

/** Issues no field claimed, shown above the form. */
export function otherIssues(problem: Problem | undefined, fields: string[]): Array<{ path: string; message: string }> {
  if (!problem?.errors) return [];
  return problem.errors.filter((e) => !fields.some((f) => e.path === f || e.path.startsWith(`${f}.`)));
}

/** The alert above a form whose submission came back 400: field issues sit by their fields, the rest are listed. */
export function FieldProblemAlert({ unclaimed }: { unclaimed: Array<{ path: string; message: string }> }) {
  return (
    <div class="alert alert-error" role="alert">
      <strong>Please correct the highlighted fields.</strong>
      {unclaimed.length ? (
        <ul>
          {unclaimed.map((i) => (
            <li key={i.path}>
              {i.path}: {i.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function FieldError({ id, messages }: { id: string; messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <p class="field-error" id={id}>
      {messages.join('; ')}
    </p>
  );
}

/** Props tying an input to its error text for screen readers. */
export function describedBy(id: string, messages: string[]): { 'aria-invalid'?: 'true'; 'aria-describedby'?: string } {
  return messages.length ? { 'aria-invalid': 'true', 'aria-describedby': id } : {};
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={id ? `${id}-h` : undefined}>
      <h2 id={id ? `${id}-h` : undefined}>{title}</h2>
      {children}
    </section>
  );
}

export interface Paged<T> {
  items: T[];
  error: unknown;
  loading: boolean;
  hasMore: boolean;
  loadMore: () => void;
  reload: () => void;
}

/** A list route's pages: the first on load, the next on demand through the continuation token. */
export function usePaged<T>(fetchPage: ((token: string | null) => Promise<Page<T>>) | null, deps: unknown[]): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [token, setToken] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const run = (from: string | null, append: boolean) => {
    const load = fetchRef.current;
    if (!load) return;
    const mine = ++generation.current;
    setLoading(true);
    setError(undefined);
    load(from).then(
      (page) => {
        if (mine !== generation.current) return;
        setItems((prev) => (append ? [...prev, ...page.items] : page.items));
        setToken(page.continuationToken);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== generation.current) return;
        setError(e);
        setLoading(false);
      },
    );
  };

  // New inputs (another user, another task) clear the list; a reload keeps it on screen until the fresh page arrives.
  useEffect(() => {
    setItems([]);
    setToken(null);
  }, deps);
  useEffect(() => {
    if (fetchPage) run(null, false);
    else {
      generation.current++;
      setLoading(false);
    }
  }, [...deps, tick]);

  return {
    items,
    error,
    loading,
    hasMore: token !== null,
    loadMore: () => run(token, true),
    reload: useCallback(() => setTick((t) => t + 1), []),
  };
}

export function LoadMore({ paged, what }: { paged: Paged<unknown>; what: string }) {
  if (!paged.hasMore) return null;
  return (
    <button type="button" class="secondary" onClick={paged.loadMore} disabled={paged.loading}>
      {paged.loading ? 'Loading…' : `Load more ${what}`}
    </button>
  );
}

/**
 * A route's `?format=csv` export: the button that starts the download (disabled while it runs) and, where the view
 * puts it, the error it met. The file is named after `name`, made safe for a file name.
 */
export function useCsvExport(path: string, prefix: string, name: string) {
  const { api } = useApp();
  const [error, setError] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const start = async () => {
    setExporting(true);
    setError(null);
    try {
      await api.download(path, { format: 'csv' }, `${prefix}-${name.replace(/[^A-Za-z0-9@._-]/g, '_')}.csv`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setExporting(false);
    }
  };
  const button = (
    <button type="button" class="secondary" onClick={() => void start()} disabled={exporting}>
      {exporting ? 'Exporting…' : 'Export CSV'}
    </button>
  );
  const errorBox = error ? (
    <p class="alert alert-error" role="alert">
      {error}
    </p>
  ) : null;
  return { button, errorBox };
}
