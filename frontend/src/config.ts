import { FRONTEND, RUNTIME_CONFIG_ELEMENT_ID } from '@todo/contract';

export interface RuntimeConfig {
  apiBaseUrl: string;
}

/** Checks a parsed configuration; `source` names where it came from in the error. */
export function parseRuntimeConfig(body: unknown, source: string): RuntimeConfig {
  const apiBaseUrl = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).apiBaseUrl : undefined;
  if (typeof apiBaseUrl !== 'string' || !apiBaseUrl) throw new Error(`The app’s configuration (${source}) is malformed: no apiBaseUrl.`);
  return { apiBaseUrl };
}

/**
 * The configuration embedded in the page, or null when the page has none (the Vite dev server,
 * an older web server). Embedded but unreadable is an error, not a reason to ask the server again.
 */
export function readEmbeddedConfig(doc: Pick<Document, 'getElementById'> = document): RuntimeConfig | null {
  const el = doc.getElementById(RUNTIME_CONFIG_ELEMENT_ID);
  if (!el) return null;
  let body: unknown;
  try {
    body = JSON.parse(el.textContent ?? '');
  } catch {
    throw new Error(`The app’s configuration (#${RUNTIME_CONFIG_ELEMENT_ID} in the page) is not valid JSON.`);
  }
  return parseRuntimeConfig(body, `#${RUNTIME_CONFIG_ELEMENT_ID} in the page`);
}

/**
 * The runtime configuration the web server derives from its environment (API_BASE_URL): nothing
 * about the API is baked into the bundle, so one image serves every environment. Read from the
 * page when the server embedded it (no round trip before the first render), else fetched from
 * FRONTEND.runtimeConfigPath.
 */
export async function loadRuntimeConfig(
  fetchImpl: typeof fetch = (...a) => globalThis.fetch(...a),
  doc: Pick<Document, 'getElementById'> | null = typeof document === 'undefined' ? null : document,
): Promise<RuntimeConfig> {
  const embedded = doc ? readEmbeddedConfig(doc) : null;
  if (embedded) return embedded;
  let res: Response;
  try {
    res = await fetchImpl(FRONTEND.runtimeConfigPath, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  } catch {
    throw new Error('Cannot reach the server to load the app’s configuration. Check your connection and reload.');
  }
  if (!res.ok) throw new Error(`The app’s configuration could not be loaded (${res.status}). Please reload in a moment.`);
  return parseRuntimeConfig(await res.json().catch(() => null), FRONTEND.runtimeConfigPath);
}
