/** Small line icons drawn here (emoji fonts are not everywhere: a missing glyph shows as a box). Decorative: hidden from assistive technology. */
const svg = { width: '1em', height: '1em', viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round', strokeLinejoin: 'round' } as const;

export function BellIcon() {
  return (
    <svg {...svg} className="icon" aria-hidden="true" focusable="false">
      <path d="M6 16v-5a6 6 0 0 1 12 0v5l2 2H4z" />
      <path d="M10 21a2 2 0 0 0 4 0" />
    </svg>
  );
}

export function GlobeIcon() {
  return (
    <svg {...svg} className="icon" aria-hidden="true" focusable="false">
      <circle cx="12" cy="12" r="9" />
      <ellipse cx="12" cy="12" rx="4" ry="9" />
      <path d="M3 12h18" />
    </svg>
  );
}
