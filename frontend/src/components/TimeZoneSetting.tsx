import { type FormEvent, useId, useState } from 'react';
import { browserTimeZone, userMessage } from '../api';
import { GlobeIcon } from './Icons';

interface Props {
  timeZone: string;
  onSave(timeZone: string): Promise<unknown>;
}

/** "Europe/Berlin" → "Berlin". */
const place = (zone: string) => zone.slice(zone.lastIndexOf('/') + 1).replace(/_/g, ' ');

/** Every zone this browser knows, with `also` (the stored one) in case it is an alias the list lacks. */
function zones(also: string): string[] {
  let all: string[] = [];
  try {
    all = (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    all = [];
  }
  return all.includes(also) ? all : [also, ...all];
}

/**
 * The user's time zone in the header: reminders are entered and shown in it and recurring tasks keep
 * their local times in it. Log-in sets it from the browser; here it can be changed by hand.
 */
export function TimeZoneSetting({ timeZone, onSave }: Props) {
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState(timeZone);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const id = useId();
  const device = browserTimeZone();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      await onSave(chosen);
      setOpen(false);
    } catch (err) {
      setError(userMessage(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="tz">
      <button
        type="button"
        className="ghost tz-button"
        aria-expanded={open}
        aria-controls={`${id}-form`}
        aria-label={`Time zone ${place(timeZone)} (${timeZone})`}
        onClick={() => {
          setChosen(timeZone);
          setError(null);
          setOpen((o) => !o);
        }}
      >
        <GlobeIcon />
        <span className="wide-only"> {place(timeZone)}</span>
      </button>
      {open && (
        <form id={`${id}-form`} className="tz-form card" onSubmit={submit} aria-label="Time zone">
          <label htmlFor={`${id}-zone`}>Time zone</label>
          <select id={`${id}-zone`} value={chosen} onChange={(e) => setChosen(e.target.value)}>
            {zones(timeZone).map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
          <p className="hint">Reminders and repeating tasks keep their local times in it.</p>
          {device && device !== chosen && (
            <button type="button" className="ghost" onClick={() => setChosen(device)}>
              Use this device’s ({device.replace(/_/g, ' ')})
            </button>
          )}
          {error && (
            <p className="error small" role="alert">
              {error}
            </p>
          )}
          <div className="actions">
            <button type="submit" className="primary" aria-disabled={saving}>
              Save
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
