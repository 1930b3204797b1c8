import { useEffect, useState } from 'react';

/** A minimal history-API router: the app has three pages, no library needed. */
export interface Location {
  pathname: string;
  search: string;
}

const EVENT = 'todo:navigate';

let navigated = false;

/**
 * Whether the app has moved from one page to another since it loaded. A page moves focus to its
 * heading only then (announcing the change); on a fresh load focus stays at the document's start,
 * so that the first Tab reaches the skip link.
 */
export const hasNavigated = () => navigated;

function current(): Location {
  return { pathname: window.location.pathname, search: window.location.search };
}

export function navigate(to: string, { replace = false } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  navigated = true;
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => {
      navigated = true;
      setLoc(current());
    };
    window.addEventListener('popstate', update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return loc;
}
