import { useEffect, useRef } from 'react';

interface Props {
  /** Names the group for screen readers: "Confirm deleting “Buy milk”". */
  label: string;
  question: string;
  keepLabel: string;
  onConfirm(): void;
  onKeep(): void;
}

/** The inline "Delete …? Yes, delete / Keep …" question; "Yes, delete" takes focus when it opens. */
export function ConfirmDelete({ label, question, keepLabel, onConfirm, onKeep }: Props) {
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), []);
  return (
    <div className="actions confirm" role="group" aria-label={label}>
      <span>{question}</span>
      <button ref={yes} type="button" className="danger" onClick={onConfirm}>
        Yes, delete
      </button>
      <button type="button" onClick={onKeep}>
        {keepLabel}
      </button>
    </div>
  );
}
