import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, seg } from '../api';
import {
  DAYS,
  RIGHTS,
  type Day,
  type DirectoryGroup,
  type Page,
  type Problem,
  type Right,
  type ScheduleView,
  type Target,
  type TaskView,
} from '../types';
import {
  describedBy,
  ErrorBox,
  FieldError,
  FieldProblemAlert,
  issuesFor,
  Loading,
  LoadMore,
  otherIssues,
  rightLabel,
  useApp,
  usePaged,
} from '../ui';
import { describeTarget } from './TasksView';

const DAY_LABELS: Record<Day, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};

function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

let timeZones: string[] | undefined;
function allTimeZones(): string[] {
  timeZones ??= typeof Intl.supportedValuesOf === 'function' ? ['UTC', ...Intl.supportedValuesOf('timeZone')] : ['UTC'];
  return timeZones;
}

/** The error with a field's issues dropped: the user is fixing that field, the stale message would mislead. */
function withoutField(error: unknown, field: string): unknown {
  if (!(error instanceof ApiError) || !error.problem.errors) return error;
  const errors = error.problem.errors.filter((e) => e.path !== field && !e.path.startsWith(`${field}.`));
  return errors.length === error.problem.errors.length ? error : new ApiError({ ...error.problem, errors });
}

/** A 400 problem's field errors, or undefined when the error is something else (shown as a whole). */
function fieldProblem(error: unknown): Problem | undefined {
  return error instanceof ApiError && error.problem.status === 400 && error.problem.errors?.length
    ? error.problem
    : undefined;
}

function FormProblem({ error, fields }: { error: unknown; fields: string[] }) {
  const problem = fieldProblem(error);
  if (!problem) return <ErrorBox error={error} />;
  return <FieldProblemAlert unclaimed={otherIssues(problem, fields)} />;
}

/** A delete button that asks once more inline and shows the API's refusal (e.g. a schedule still used by a task). */
function DeleteButton({ label, path, onDeleted }: { label: string; path: string; onDeleted: () => void }) {
  const { api } = useApp();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.send('DELETE', path);
      onDeleted();
    } catch (e) {
      setError(e);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {confirming ? (
        <>
          <button
            type="button"
            class="danger"
            onClick={() => void remove()}
            disabled={busy}
            aria-label={`Confirm deleting ${label}`}
          >
            Confirm delete
          </button>
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button type="button" class="secondary" onClick={() => setConfirming(true)} aria-label={`Delete ${label}`}>
          Delete
        </button>
      )}
      <ErrorBox error={error} />
    </>
  );
}

// --- schedules ---

interface ScheduleDraft {
  description: string;
  type: ScheduleView['type'];
  mode: 'once' | 'many';
  runAt: string;
  startTime: string;
  endTime: string;
  intervalMinutes: string;
  daysOfWeek: Day[];
  timeZone: string;
}

function scheduleDraft(s?: ScheduleView): ScheduleDraft {
  return {
    description: s?.description ?? '',
    type: s?.type ?? 'daily',
    mode: s?.mode ?? 'once',
    runAt: s?.runAt ?? '',
    startTime: s?.startTime ?? '02:00',
    endTime: s?.endTime ?? '18:00',
    intervalMinutes: s?.intervalMinutes !== undefined ? String(s.intervalMinutes) : '60',
    daysOfWeek: s?.daysOfWeek ?? ['mon', 'tue', 'wed', 'thu', 'fri'],
    timeZone: s?.timeZone ?? browserTimeZone(),
  };
}

function scheduleBody(d: ScheduleDraft): Record<string, unknown> {
  const base = { description: d.description, type: d.type, timeZone: d.timeZone };
  if (d.type === 'oneOff') return { ...base, runAt: d.runAt };
  const times =
    d.mode === 'once'
      ? { mode: 'once', startTime: d.startTime }
      : {
          mode: 'many',
          startTime: d.startTime,
          endTime: d.endTime,
          intervalMinutes: d.intervalMinutes.trim() === '' ? undefined : Number(d.intervalMinutes),
        };
  return d.type === 'weekly' ? { ...base, ...times, daysOfWeek: d.daysOfWeek } : { ...base, ...times };
}

const SCHEDULE_FIELDS = [
  'description',
  'type',
  'mode',
  'runAt',
  'startTime',
  'endTime',
  'intervalMinutes',
  'daysOfWeek',
  'timeZone',
];

function ScheduleForm({
  existing,
  onSaved,
  onCancel,
}: {
  existing?: ScheduleView;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { api } = useApp();
  const [d, setD] = useState<ScheduleDraft>(() => scheduleDraft(existing));
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof ScheduleDraft>(key: K, value: ScheduleDraft[K]) => {
    setD((prev) => ({ ...prev, [key]: value }));
    setError((prev: unknown) => withoutField(prev, key));
  };
  const problem = fieldProblem(error);
  const issues = (f: string) => issuesFor(problem, f);

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (existing) await api.send('PUT', `schedules/${seg(existing.id)}`, scheduleBody(d));
      else await api.send('POST', 'schedules', scheduleBody(d));
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const text = (
    id: string,
    field: keyof ScheduleDraft & string,
    label: string,
    type = 'text',
    extra: Record<string, string> = {},
  ) => (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={d[field] as string}
        onInput={(e) => set(field, e.currentTarget.value as never)}
        {...extra}
        {...describedBy(`${id}-err`, issues(field))}
      />
      <FieldError id={`${id}-err`} messages={issues(field)} />
    </div>
  );

  return (
    <form class="card form-grid" onSubmit={(e) => void save(e)} aria-labelledby="schedule-form-h" noValidate>
      <h3 id="schedule-form-h">{existing ? `Edit schedule “${existing.description}”` : 'New schedule'}</h3>
      <FormProblem error={error} fields={SCHEDULE_FIELDS} />
      {text('schedule-description', 'description', 'Description')}
      <div class="field">
        <label for="schedule-type">Repeats</label>
        <select
          id="schedule-type"
          value={d.type}
          onChange={(e) => set('type', e.currentTarget.value as ScheduleDraft['type'])}
        >
          <option value="oneOff">Once (a date and time)</option>
          <option value="daily">Daily</option>
          <option value="weekly">Weekly (chosen days)</option>
        </select>
      </div>
      {d.type === 'oneOff' ? (
        text('schedule-runat', 'runAt', 'Date and time', 'datetime-local')
      ) : (
        <>
          <fieldset class="choice">
            <legend>On each day</legend>
            <label>
              <input type="radio" name="mode" checked={d.mode === 'once'} onChange={() => set('mode', 'once')} /> Once
            </label>
            <label>
              <input type="radio" name="mode" checked={d.mode === 'many'} onChange={() => set('mode', 'many')} />{' '}
              Repeatedly between two times
            </label>
          </fieldset>
          {text('schedule-start', 'startTime', d.mode === 'once' ? 'At' : 'From', 'time')}
          {d.mode === 'many' ? (
            <>
              {text('schedule-end', 'endTime', 'Until', 'time')}
              {text('schedule-interval', 'intervalMinutes', 'Every (minutes)', 'number', {
                min: '1',
                max: '1440',
                inputMode: 'numeric',
              })}
            </>
          ) : null}
          {d.type === 'weekly' ? (
            <fieldset class="choice days" {...describedBy('schedule-days-err', issues('daysOfWeek'))}>
              <legend>Days</legend>
              {DAYS.map((day) => (
                <label key={day}>
                  <input
                    type="checkbox"
                    checked={d.daysOfWeek.includes(day)}
                    onChange={(e) =>
                      set(
                        'daysOfWeek',
                        e.currentTarget.checked
                          ? DAYS.filter((x) => x === day || d.daysOfWeek.includes(x))
                          : d.daysOfWeek.filter((x) => x !== day),
                      )
                    }
                  />{' '}
                  {DAY_LABELS[day]}
                </label>
              ))}
              <FieldError id="schedule-days-err" messages={issues('daysOfWeek')} />
            </fieldset>
          ) : null}
        </>
      )}
      {text('schedule-tz', 'timeZone', 'Time zone (IANA)', 'text', {
        list: 'tz-list',
        autoComplete: 'off',
        spellcheck: 'false',
      })}
      <datalist id="tz-list">
        {allTimeZones().map((tz) => (
          <option key={tz} value={tz} />
        ))}
      </datalist>
      <div class="button-row">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : existing ? 'Save schedule' : 'Create schedule'}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// --- tasks ---

interface TaskDraft {
  description: string;
  scheduleId: string;
  kind: Target['kind'];
  groupId: string;
  groupLabel: string;
  dn: string;
  email: string;
  mailboxes: string;
  rights: Right[];
  enabled: boolean;
}

function taskDraft(t: TaskView | undefined, schedules: ScheduleView[]): TaskDraft {
  const target = t?.target;
  return {
    description: t?.description ?? '',
    scheduleId: t?.scheduleId ?? schedules[0]?.id ?? '',
    kind: target?.kind ?? 'group',
    groupId: target?.kind === 'group' ? target.groupId : '',
    groupLabel: target?.kind === 'group' ? target.groupId : '',
    dn: target?.kind === 'groupDn' ? target.dn : '',
    email: target?.kind === 'groupEmail' ? target.email : '',
    mailboxes: target?.kind === 'mailboxes' ? target.mailboxes.join('\n') : '',
    rights: t?.rights ?? [...RIGHTS],
    enabled: t?.enabled ?? true,
  };
}

function taskBody(d: TaskDraft): Record<string, unknown> {
  let target: Target;
  switch (d.kind) {
    case 'group':
      target = { kind: 'group', groupId: d.groupId };
      break;
    case 'groupDn':
      target = { kind: 'groupDn', dn: d.dn };
      break;
    case 'groupEmail':
      target = { kind: 'groupEmail', email: d.email };
      break;
    case 'mailboxes':
      target = {
        kind: 'mailboxes',
        mailboxes: d.mailboxes
          .split(/[\n,;]+/)
          .map((m) => m.trim())
          .filter(Boolean),
      };
      break;
  }
  return { description: d.description, scheduleId: d.scheduleId, target, rights: d.rights, enabled: d.enabled };
}

/** Searches the tenant's groups (GET /api/directory/groups) and picks one by object id. */
function GroupPicker({
  value,
  label,
  onPick,
  invalid,
}: {
  value: string;
  label: string;
  onPick: (id: string, label: string) => void;
  invalid: string[];
}) {
  const { api } = useApp();
  const [search, setSearch] = useState('');
  const [results, setResults] = useState<DirectoryGroup[] | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const generation = useRef(0);

  useEffect(() => {
    const term = search.trim();
    if (term.length < 2) {
      generation.current++;
      setResults(null);
      return;
    }
    const mine = ++generation.current;
    const timer = setTimeout(() => {
      setBusy(true);
      api.get<Page<DirectoryGroup>>('directory/groups', { search: term, top: 25 }).then(
        (page) => {
          if (mine !== generation.current) return;
          setResults(page.items);
          setError(undefined);
          setBusy(false);
        },
        (e: unknown) => {
          if (mine !== generation.current) return;
          setError(e);
          setBusy(false);
        },
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [search, api]);

  return (
    <div class="picker">
      <div class="field">
        <label for="task-group-search">Find a group (name, e-mail or account name)</label>
        <input
          id="task-group-search"
          type="search"
          autoComplete="off"
          spellcheck={false}
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
          aria-controls="task-group-results"
          {...describedBy('task-group-err', invalid)}
        />
      </div>
      <p class="muted small" aria-live="polite" id="task-group-results-status">
        {busy
          ? 'Searching…'
          : results
            ? `${results.length} group${results.length === 1 ? '' : 's'} found`
            : 'Type at least two characters.'}
      </p>
      <ErrorBox error={error} />
      {results?.length ? (
        <ul class="picker-results" id="task-group-results" data-testid="group-results">
          {results.map((g) => (
            <li key={g.id}>
              <button
                type="button"
                class={g.id === value ? 'secondary selected' : 'secondary'}
                aria-pressed={g.id === value}
                onClick={() => onPick(g.id, g.displayName)}
              >
                <span class="who-name">{g.displayName}</span>
                <span class="who-address">
                  {[g.mail, g.onPremisesSamAccountName, g.source === 'synced' ? 'synced from AD' : 'cloud']
                    .filter(Boolean)
                    .join(' · ')}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <p class="selected-group" data-testid="selected-group">
        Selected group:{' '}
        {value ? (
          <strong>{label && label !== value ? `${label} (${value})` : value}</strong>
        ) : (
          <span class="muted">none</span>
        )}
      </p>
      <FieldError id="task-group-err" messages={invalid} />
    </div>
  );
}

const TASK_FIELDS = ['description', 'scheduleId', 'target', 'rights', 'enabled'];

function TaskForm({
  existing,
  schedules,
  onSaved,
  onCancel,
}: {
  existing?: TaskView;
  schedules: ScheduleView[];
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { api } = useApp();
  const [d, setD] = useState<TaskDraft>(() => taskDraft(existing, schedules));
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof TaskDraft>(key: K, value: TaskDraft[K]) => {
    setD((prev) => ({ ...prev, [key]: value }));
    const field = ['kind', 'groupId', 'groupLabel', 'dn', 'email', 'mailboxes'].includes(key) ? 'target' : key;
    setError((prev: unknown) => withoutField(prev, field));
  };
  const problem = fieldProblem(error);
  const issues = (f: string) => issuesFor(problem, f);

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (existing) await api.send('PUT', `tasks/${seg(existing.id)}`, taskBody(d));
      else await api.send('POST', 'tasks', taskBody(d));
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const targetIssues = issues('target');
  return (
    <form class="card form-grid" onSubmit={(e) => void save(e)} aria-labelledby="task-form-h" noValidate>
      <h3 id="task-form-h">{existing ? `Edit task “${existing.description}”` : 'New task'}</h3>
      <FormProblem error={error} fields={TASK_FIELDS} />
      <div class="field">
        <label for="task-description">Description</label>
        <input
          id="task-description"
          type="text"
          value={d.description}
          onInput={(e) => set('description', e.currentTarget.value)}
          {...describedBy('task-description-err', issues('description'))}
        />
        <FieldError id="task-description-err" messages={issues('description')} />
      </div>
      <div class="field">
        <label for="task-schedule">Schedule</label>
        <select
          id="task-schedule"
          value={d.scheduleId}
          onChange={(e) => set('scheduleId', e.currentTarget.value)}
          {...describedBy('task-schedule-err', issues('scheduleId'))}
        >
          <option value="">— choose a schedule —</option>
          {schedules.map((s) => (
            <option key={s.id} value={s.id}>
              {s.description} — {s.summary}
            </option>
          ))}
        </select>
        <FieldError id="task-schedule-err" messages={issues('scheduleId')} />
      </div>
      <fieldset class="choice">
        <legend>Target</legend>
        <label>
          <input type="radio" name="target-kind" checked={d.kind === 'group'} onChange={() => set('kind', 'group')} /> A
          group from the directory
        </label>
        <label>
          <input
            type="radio"
            name="target-kind"
            checked={d.kind === 'groupEmail'}
            onChange={() => set('kind', 'groupEmail')}
          />{' '}
          A group by e-mail address
        </label>
        <label>
          <input
            type="radio"
            name="target-kind"
            checked={d.kind === 'groupDn'}
            onChange={() => set('kind', 'groupDn')}
          />{' '}
          A group by on-premises DN
        </label>
        <label>
          <input
            type="radio"
            name="target-kind"
            checked={d.kind === 'mailboxes'}
            onChange={() => set('kind', 'mailboxes')}
          />{' '}
          A list of mailboxes
        </label>
      </fieldset>
      {d.kind === 'group' ? (
        <GroupPicker
          value={d.groupId}
          label={d.groupLabel}
          invalid={targetIssues}
          onPick={(id, label) => {
            set('groupId', id);
            set('groupLabel', label);
          }}
        />
      ) : null}
      {d.kind === 'groupEmail' ? (
        <div class="field">
          <label for="task-group-email">Group e-mail address</label>
          <input
            id="task-group-email"
            type="email"
            value={d.email}
            onInput={(e) => set('email', e.currentTarget.value)}
            {...describedBy('task-target-err', targetIssues)}
          />
          <FieldError id="task-target-err" messages={targetIssues} />
        </div>
      ) : null}
      {d.kind === 'groupDn' ? (
        <div class="field">
          <label for="task-group-dn">Distinguished name (CN=…,OU=…,DC=…)</label>
          <input
            id="task-group-dn"
            type="text"
            spellcheck={false}
            value={d.dn}
            onInput={(e) => set('dn', e.currentTarget.value)}
            {...describedBy('task-target-err', targetIssues)}
          />
          <FieldError id="task-target-err" messages={targetIssues} />
        </div>
      ) : null}
      {d.kind === 'mailboxes' ? (
        <div class="field">
          <label for="task-mailboxes">Mailboxes (addresses or object ids, one per line)</label>
          <textarea
            id="task-mailboxes"
            rows={4}
            spellcheck={false}
            value={d.mailboxes}
            onInput={(e) => set('mailboxes', e.currentTarget.value)}
            {...describedBy('task-target-err', targetIssues)}
          />
          <FieldError id="task-target-err" messages={targetIssues} />
        </div>
      ) : null}
      <fieldset class="choice" {...describedBy('task-rights-err', issues('rights'))}>
        <legend>Rights to sync</legend>
        {RIGHTS.map((r) => (
          <label key={r}>
            <input
              type="checkbox"
              checked={d.rights.includes(r)}
              onChange={(e) =>
                set(
                  'rights',
                  e.currentTarget.checked
                    ? RIGHTS.filter((x) => x === r || d.rights.includes(x))
                    : d.rights.filter((x) => x !== r),
                )
              }
            />{' '}
            {rightLabel(r)}
          </label>
        ))}
        <FieldError id="task-rights-err" messages={issues('rights')} />
      </fieldset>
      <label class="check">
        <input type="checkbox" checked={d.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} /> Enabled
        (runs on its schedule)
      </label>
      <div class="button-row">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : existing ? 'Save task' : 'Create task'}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

type Editing = { what: 'schedule'; item?: ScheduleView } | { what: 'task'; item?: TaskView } | null;

export function ConfigureView() {
  const { api } = useApp();
  const schedules = usePaged<ScheduleView>(
    (token) => api.get<Page<ScheduleView>>('schedules', { top: 200, continuationToken: token }),
    [],
  );
  const tasks = usePaged<TaskView>(
    (token) => api.get<Page<TaskView>>('tasks', { top: 200, continuationToken: token }),
    [],
  );
  const [editing, setEditing] = useState<Editing>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const scheduleName = (id: string) => schedules.items.find((s) => s.id === id)?.description ?? id;

  const saved = (message: string) => {
    setEditing(null);
    setNotice(message);
    schedules.reload();
    tasks.reload();
  };

  return (
    <>
      <h1>Schedules and tasks</h1>
      <p class="status-line" role="status">
        {notice}
      </p>
      <section class="card" aria-labelledby="schedules-h">
        <div class="view-head">
          <h2 id="schedules-h">Schedules</h2>
          <button type="button" onClick={() => setEditing({ what: 'schedule' })}>
            New schedule
          </button>
        </div>
        {editing?.what === 'schedule' ? (
          <ScheduleForm
            key={editing.item?.id ?? 'new'}
            existing={editing.item}
            onSaved={() => saved('Schedule saved.')}
            onCancel={() => setEditing(null)}
          />
        ) : null}
        <ErrorBox error={schedules.error} />
        {schedules.loading && schedules.items.length === 0 ? <Loading what="schedules" /> : null}
        {!schedules.loading && schedules.items.length === 0 && !schedules.error ? (
          <p class="empty">No schedules yet.</p>
        ) : null}
        {schedules.items.length ? (
          <div class="table-wrap">
            <table class="data stack" data-testid="schedules">
              <caption class="sr-only">Schedules</caption>
              <thead>
                <tr>
                  <th scope="col">Description</th>
                  <th scope="col">When</th>
                  <th scope="col">Time zone</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {schedules.items.map((s) => (
                  <tr key={s.id}>
                    <th scope="row" data-label="Description">
                      {s.description}
                    </th>
                    <td data-label="When">{s.summary}</td>
                    <td data-label="Time zone">{s.timeZone}</td>
                    <td class="actions">
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => setEditing({ what: 'schedule', item: s })}
                        aria-label={`Edit schedule ${s.description}`}
                      >
                        Edit
                      </button>
                      <DeleteButton
                        label={`schedule ${s.description}`}
                        path={`schedules/${seg(s.id)}`}
                        onDeleted={() => saved('Schedule deleted.')}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <LoadMore paged={schedules} what="schedules" />
      </section>

      <section class="card" aria-labelledby="tasks-h">
        <div class="view-head">
          <h2 id="tasks-h">Tasks</h2>
          <button
            type="button"
            onClick={() => setEditing({ what: 'task' })}
            disabled={schedules.items.length === 0}
            title={schedules.items.length === 0 ? 'Create a schedule first' : undefined}
          >
            New task
          </button>
        </div>
        {editing?.what === 'task' ? (
          <TaskForm
            key={editing.item?.id ?? 'new'}
            existing={editing.item}
            schedules={schedules.items}
            onSaved={() => saved('Task saved.')}
            onCancel={() => setEditing(null)}
          />
        ) : null}
        <ErrorBox error={tasks.error} />
        {tasks.loading && tasks.items.length === 0 ? <Loading what="tasks" /> : null}
        {!tasks.loading && tasks.items.length === 0 && !tasks.error ? <p class="empty">No tasks yet.</p> : null}
        {tasks.items.length ? (
          <div class="table-wrap">
            <table class="data stack" data-testid="tasks">
              <caption class="sr-only">Tasks</caption>
              <thead>
                <tr>
                  <th scope="col">Description</th>
                  <th scope="col">Target</th>
                  <th scope="col">Rights</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Enabled</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tasks.items.map((t) => (
                  <tr key={t.id}>
                    <th scope="row" data-label="Description">
                      {t.description}
                    </th>
                    <td data-label="Target">{describeTarget(t.target)}</td>
                    <td data-label="Rights">{t.rights.map(rightLabel).join(', ')}</td>
                    <td data-label="Schedule">{scheduleName(t.scheduleId)}</td>
                    <td data-label="Enabled">{t.enabled ? 'Yes' : 'No'}</td>
                    <td class="actions">
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => setEditing({ what: 'task', item: t })}
                        aria-label={`Edit task ${t.description}`}
                      >
                        Edit
                      </button>
                      <DeleteButton
                        label={`task ${t.description}`}
                        path={`tasks/${seg(t.id)}`}
                        onDeleted={() => saved('Task deleted.')}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <LoadMore paged={tasks} what="tasks" />
      </section>
    </>
  );
}
