import { useState } from 'preact/hooks';
import { ApiError } from './api';
import type { Problem } from './types';
import { describedBy, ErrorBox, FieldError, FieldProblemAlert, issuesFor, otherIssues } from './ui';

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

/** The form's error: field issues the form does not show next to a field, or the whole error when not a 400. */
export function FormProblem({ error, fields }: { error: unknown; fields: readonly string[] }) {
  const problem = fieldProblem(error);
  if (!problem) return <ErrorBox error={error} />;
  return <FieldProblemAlert unclaimed={otherIssues(problem, [...fields])} />;
}

export interface Form<D> {
  draft: D;
  /** Changes one field of the draft and drops the API's stale issues for the body field it feeds. */
  set: <K extends keyof D & string>(key: K, value: D[K]) => void;
  /** The API's issues for a body field (path), from the last failed save. */
  issues: (field: string) => string[];
  error: unknown;
  busy: boolean;
  /** The submit handler: sends the draft and shows the API's answer next to the fields. */
  save: (event: Event) => Promise<void>;
}

/**
 * One draft edited by a form and saved through the API: the schedule and task forms share how they track the
 * draft, show the API's 400 issues next to each field, and clear a field's issues while the user fixes it.
 */
export function useForm<D>(options: {
  initial: () => D;
  submit: (draft: D) => Promise<unknown>;
  onSaved: () => void;
  /** The body field (problem path) a draft key feeds, when they differ (e.g. a target's parts all feed target). */
  fieldOf?: (key: keyof D & string) => string;
}): Form<D> {
  const [draft, setDraft] = useState<D>(options.initial);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const problem = fieldProblem(error);
  return {
    draft,
    error,
    busy,
    set: (key, value) => {
      setDraft((prev) => ({ ...prev, [key]: value }));
      const field = options.fieldOf ? options.fieldOf(key) : key;
      setError((prev: unknown) => withoutField(prev, field));
    },
    issues: (field) => issuesFor(problem, field),
    save: async (event) => {
      event.preventDefault();
      setBusy(true);
      setError(undefined);
      try {
        await options.submit(draft);
        options.onSaved();
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
  };
}

/**
 * A fieldset of checkboxes choosing a subset of `options`; the chosen values stay in the options' order, and the
 * field's issues are shown under it and tied to it for assistive technology.
 */
export function CheckboxGroup<T extends string>(props: {
  legend: string;
  class: string;
  options: readonly T[];
  chosen: readonly T[];
  labelOf: (option: T) => string;
  onChange: (chosen: T[]) => void;
  errorId: string;
  issues: string[];
}) {
  const { options, chosen } = props;
  return (
    <fieldset class={props.class} {...describedBy(props.errorId, props.issues)}>
      <legend>{props.legend}</legend>
      {options.map((option) => (
        <label key={option}>
          <input
            type="checkbox"
            checked={chosen.includes(option)}
            onChange={(e) =>
              props.onChange(
                e.currentTarget.checked
                  ? options.filter((x) => x === option || chosen.includes(x))
                  : chosen.filter((x) => x !== option),
              )
            }
          />{' '}
          {props.labelOf(option)}
        </label>
      ))}
      <FieldError id={props.errorId} messages={props.issues} />
    </fieldset>
  );
}
