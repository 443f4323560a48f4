import { useState } from 'preact/hooks';
import { ErrorBox, useApp } from '../../ui';

/** A delete button that asks once more inline and shows the API's refusal (e.g. a schedule still used by a task). */
export function DeleteButton({ label, path, onDeleted }: { label: string; path: string; onDeleted: () => void }) {
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
