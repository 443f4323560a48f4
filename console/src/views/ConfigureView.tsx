import { useState } from 'preact/hooks';
import { seg } from '../api';
import { TargetName } from '../targets';
import type { Page, ScheduleView, TaskView } from '../types';
import { ErrorBox, Loading, LoadMore, rightLabel, useApp, usePaged } from '../ui';
import { DeleteButton } from './configure/DeleteButton';
import { ScheduleForm } from './configure/ScheduleForm';
import { TaskForm } from './configure/TaskForm';

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
                    <td data-label="Target">
                      <TargetName target={t.target} />
                    </td>
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
