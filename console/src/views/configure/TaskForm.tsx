import { seg } from '../../api';
import { CheckboxGroup, FormProblem, useForm } from '../../forms';
import { RIGHTS, type Right, type ScheduleView, type Target, type TaskView } from '../../types';
import { describedBy, FieldError, rightLabel, useApp } from '../../ui';
import { GroupPicker } from './GroupPicker';

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
    // Empty: the picker looks the saved group's name up rather than show its object id.
    groupLabel: '',
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

/** The draft keys that together make the body's target. */
const TARGET_PARTS: readonly string[] = ['kind', 'groupId', 'groupLabel', 'dn', 'email', 'mailboxes'];

const TASK_FIELDS: readonly string[] = ['description', 'scheduleId', 'target', 'rights', 'enabled'];

/** Creates or edits a task (POST/PUT /api/tasks): its schedule, target and rights. */
export function TaskForm({
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
  const form = useForm({
    initial: () => taskDraft(existing, schedules),
    submit: (draft: TaskDraft) =>
      existing
        ? api.send('PUT', `tasks/${seg(existing.id)}`, taskBody(draft))
        : api.send('POST', 'tasks', taskBody(draft)),
    onSaved,
    fieldOf: (key) => (TARGET_PARTS.includes(key) ? 'target' : key),
  });
  const { draft: d, set, issues, error, busy } = form;

  const targetIssues = issues('target');
  return (
    <form class="card form-grid" onSubmit={(e) => void form.save(e)} aria-labelledby="task-form-h" noValidate>
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
      <CheckboxGroup
        legend="Rights to sync"
        class="choice"
        options={RIGHTS}
        chosen={d.rights}
        labelOf={rightLabel}
        onChange={(rights) => set('rights', rights)}
        errorId="task-rights-err"
        issues={issues('rights')}
      />
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
