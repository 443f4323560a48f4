import { seg } from '../../api';
import { CheckboxGroup, FormProblem, useForm } from '../../forms';
import { DAYS, type Day, type ScheduleView } from '../../types';
import { describedBy, FieldError, useApp } from '../../ui';

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

const SCHEDULE_FIELDS: readonly string[] = [
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

/** Creates or edits a schedule (POST/PUT /api/schedules). */
export function ScheduleForm({
  existing,
  onSaved,
  onCancel,
}: {
  existing?: ScheduleView;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { api } = useApp();
  const form = useForm({
    initial: () => scheduleDraft(existing),
    submit: (draft: ScheduleDraft) =>
      existing
        ? api.send('PUT', `schedules/${seg(existing.id)}`, scheduleBody(draft))
        : api.send('POST', 'schedules', scheduleBody(draft)),
    onSaved,
  });
  const { draft: d, set, issues, error, busy } = form;

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
    <form class="card form-grid" onSubmit={(e) => void form.save(e)} aria-labelledby="schedule-form-h" noValidate>
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
            <CheckboxGroup
              legend="Days"
              class="choice days"
              options={DAYS}
              chosen={d.daysOfWeek}
              labelOf={(day) => DAY_LABELS[day]}
              onChange={(days) => set('daysOfWeek', days)}
              errorId="schedule-days-err"
              issues={issues('daysOfWeek')}
            />
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
