import { useEffect, useRef } from 'react';

interface Props {
  /** Names the group for screen readers: "Confirm deleting “Buy milk”". */
  label: string;
  question: string;
  keepLabel: string;
  /** The first (focused) answer; "Yes, delete" by default. */
  confirmLabel?: string;
  onConfirm(): void;
  /** A second way to delete (a recurring task: the whole series). */
  alternative?: { label: string; onConfirm(): void };
  onKeep(): void;
}

/** The inline "Delete …? Yes, delete / Keep …" question; the first answer takes focus when it opens. */
export function ConfirmDelete({ label, question, keepLabel, confirmLabel = 'Yes, delete', onConfirm, alternative, onKeep }: Props) {
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), []);
  return (
    <div className="actions confirm" role="group" aria-label={label}>
      <span>{question}</span>
      <button ref={yes} type="button" className="danger" onClick={onConfirm}>
        {confirmLabel}
      </button>
      {alternative && (
        <button type="button" className="danger" onClick={alternative.onConfirm}>
          {alternative.label}
        </button>
      )}
      <button type="button" onClick={onKeep}>
        {keepLabel}
      </button>
    </div>
  );
}
