import type { Task } from '@todo/contract';
import { useEffect, useRef, useState } from 'react';
import type { ViewTask } from '../tasks/changes';
import { ConfirmDelete } from './ConfirmDelete';

interface Props {
  items: readonly ViewTask[];
  selected: readonly Task[];
  /** A bulk action is still going out: the actions wait. */
  busy: boolean;
  onSelectAll(on: boolean): void;
  onComplete(completed: boolean): void;
  onDelete(): void;
  onDone(): void;
}

const plural = (n: number) => (n === 1 ? '1 task' : `${n} tasks`);

/**
 * The actions for the selected tasks. Buttons without a selection stay focusable
 * (aria-disabled): a button that turns disabled under the keyboard drops its focus.
 */
export function BulkBar({ items, selected, busy, onSelectAll, onComplete, onDelete, onDone }: Props) {
  const [confirming, setConfirming] = useState(false);
  const allBox = useRef<HTMLInputElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const backToDelete = useRef(false);
  const n = selected.length;
  const selectable = items.filter((t) => !t.local).length;
  const all = n > 0 && n === selectable;
  const inactive = n === 0 || busy;

  useEffect(() => {
    if (allBox.current) allBox.current.indeterminate = n > 0 && !all;
  }, [n, all]);
  useEffect(() => {
    if (!confirming && backToDelete.current) {
      backToDelete.current = false;
      deleteButton.current?.focus();
    }
  }, [confirming]);
  useEffect(() => {
    if (n === 0) setConfirming(false);
  }, [n]);

  const guard = (fn: () => void) => () => {
    if (!inactive) fn();
  };

  return (
    <div
      className="bulk-bar"
      role="group"
      aria-label="Selected tasks"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onDone();
        }
      }}
    >
      <label className="select-all">
        <input ref={allBox} type="checkbox" className="check" checked={all} onChange={(e) => onSelectAll(e.target.checked)} />
        All on this page
      </label>
      <span className="selected-count">{n} selected</span>
      {confirming ? (
        <ConfirmDelete
          label="Confirm deleting the selected tasks"
          question={`Delete ${plural(n)}?`}
          keepLabel="Keep them"
          onConfirm={() => {
            setConfirming(false);
            onDelete();
          }}
          onKeep={() => {
            backToDelete.current = true;
            setConfirming(false);
          }}
        />
      ) : (
        <span className="actions">
          <button type="button" aria-disabled={inactive} onClick={guard(() => onComplete(true))}>
            Mark done
          </button>
          <button type="button" aria-disabled={inactive} onClick={guard(() => onComplete(false))}>
            Mark not done
          </button>
          <button ref={deleteButton} type="button" className="danger-text" aria-disabled={inactive} onClick={guard(() => setConfirming(true))}>
            Delete
          </button>
        </span>
      )}
      <button type="button" className="ghost" onClick={onDone}>
        Cancel
      </button>
    </div>
  );
}
