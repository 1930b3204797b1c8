import { FRONTEND } from '@todo/contract';

export interface RuntimeConfig {
  apiBaseUrl: string;
}

/**
 * Fetches the runtime configuration the web server serves from its environment (API_BASE_URL):
 * nothing about the API is baked into the bundle, so one image serves every environment.
 */
export async function loadRuntimeConfig(fetchImpl: typeof fetch = (...a) => globalThis.fetch(...a)): Promise<RuntimeConfig> {
  let res: Response;
  try {
    res = await fetchImpl(FRONTEND.runtimeConfigPath, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  } catch {
    throw new Error('Cannot reach the server to load the app’s configuration. Check your connection and reload.');
  }
  if (!res.ok) throw new Error(`The app’s configuration could not be loaded (${res.status}). Please reload in a moment.`);
  const body: unknown = await res.json().catch(() => null);
  const apiBaseUrl = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).apiBaseUrl : undefined;
  if (typeof apiBaseUrl !== 'string' || !apiBaseUrl) throw new Error('The app’s configuration is malformed (no apiBaseUrl).');
  return { apiBaseUrl };
}
