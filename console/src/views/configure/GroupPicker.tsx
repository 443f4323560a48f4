import { useEffect, useRef, useState } from 'preact/hooks';
import type { DirectoryGroup, Page } from '../../types';
import { groupLabel, TargetName } from '../../targets';
import { describedBy, ErrorBox, FieldError, useApp } from '../../ui';

/** Searches the tenant's groups (GET /api/directory/groups) and picks one by object id. */
export function GroupPicker({
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
                onClick={() => onPick(g.id, groupLabel(g))}
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
        {value ? label ? <strong>{label}</strong> : <SavedGroup id={value} /> : <span class="muted">none</span>}
      </p>
      <FieldError id="task-group-err" messages={invalid} />
    </div>
  );
}

/** The group a saved task targets, named from the directory (the draft holds only its object id). */
function SavedGroup({ id }: { id: string }) {
  return (
    <strong>
      <TargetName target={{ kind: 'group', groupId: id }} />
    </strong>
  );
}
