/**
 * The calendar arithmetic shared with the backend (@todo/contract/recurrence, on temporal-polyfill),
 * loaded as a chunk of its own: about 23 kB compressed that the first paint does not wait for. The
 * tasks page loads it when the browser is idle; what needs it (a reminder typed or edited) waits for
 * `loadZone()` first, then calls `zone()`.
 */
type ZoneModule = typeof import('@todo/contract/recurrence');

let loaded: ZoneModule | null = null;
let loading: Promise<ZoneModule> | null = null;

export function loadZone(): Promise<ZoneModule> {
  loading ??= import('@todo/contract/recurrence').then(
    (m) => (loaded = m),
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

/** The module, once loadZone() has resolved. */
export function zone(): ZoneModule {
  if (!loaded) throw new Error('the time zone module is not loaded yet: await loadZone() first');
  return loaded;
}

export const zoneLoaded = () => loaded !== null;

/** Starts loading it a little after the page is up, when the browser has nothing else to do. */
export function preloadZone(): ReturnType<typeof setTimeout> {
  const idle = (globalThis as { requestIdleCallback?: (fn: () => void) => void }).requestIdleCallback ?? ((fn: () => void) => fn());
  return setTimeout(() => idle(() => void loadZone().catch(() => {})), 2000);
}
