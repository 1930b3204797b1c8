/** Today's calendar date in the user's time zone, as YYYY-MM-DD. */
export function todayIso(now = new Date()): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, '0');
  const d = String(now.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

/** "5 Dec 2026" for a YYYY-MM-DD date (read as a calendar date, not shifted by the time zone). */
export function formatDate(iso: string, locale?: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y!, m! - 1, d!)),
  );
}

export function isOverdue(dueDate: string | null, completed: boolean, today = todayIso()): boolean {
  return dueDate !== null && !completed && dueDate < today;
}
