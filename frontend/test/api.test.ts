import { API_ROUTES, FRONTEND } from '@todo/contract';
import { ApiClient, ApiRequestError, apiUrl, describeFailure, SESSION_ENDED } from '../src/api';
import { RUNTIME_CONFIG_ELEMENT_ID } from '@todo/contract';
import { loadRuntimeConfig, readEmbeddedConfig } from '../src/config';

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    const call = { url: String(url), init };
    calls.push(call);
    return respond(call);
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function client(respond: (call: Call) => Response | Promise<Response>, token: string | null = 'tok') {
  const f = fakeFetch(respond);
  let unauthorized = 0;
  const api = new ApiClient({
    baseUrl: '/api',
    getToken: () => token,
    onUnauthorized: () => {
      unauthorized++;
    },
    fetch: f.fn,
  });
  return { api, calls: f.calls, unauthorized: () => unauthorized };
}

describe('apiUrl', () => {
  it('keeps same-origin routes and moves them under another base', () => {
    expect(apiUrl('/api', API_ROUTES.tasks)).toBe('/api/tasks');
    expect(apiUrl('/api/', API_ROUTES.task('a b/c'))).toBe('/api/tasks/a%20b%2Fc');
    expect(apiUrl('https://api.example.test/v1/', API_ROUTES.login)).toBe('https://api.example.test/v1/auth/login');
  });
});

describe('ApiClient', () => {
  it('sends the bearer token and JSON body, and builds the list query', async () => {
    const c = client(() => json(200, { items: [], total: 0, page: 2, pageSize: 10 }));
    const page = await c.api.listTasks({ status: 'open', q: 'milk', page: 2, pageSize: 10 });
    expect(page.page).toBe(2);
    expect(c.calls[0]!.url).toBe('/api/tasks?status=open&q=milk&page=2&pageSize=10');
    const headers = c.calls[0]!.init.headers as Record<string, string>;
    expect(headers.Authorization).toBe('Bearer tok');
    expect(headers['Content-Type']).toBeUndefined();

    await c.api.createTask({ title: 'Buy milk', tags: ['home'] });
    expect(c.calls[1]!.init.method).toBe('POST');
    expect((c.calls[1]!.init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(JSON.parse(String(c.calls[1]!.init.body))).toEqual({ title: 'Buy milk', tags: ['home'] });
  });

  it('sends no Content-Type on body-less calls (DELETE, log-out) and accepts 204', async () => {
    const c = client(() => new Response(null, { status: 204 }));
    await expect(c.api.deleteTask('42')).resolves.toBeUndefined();
    await expect(c.api.logout()).resolves.toBeUndefined();
    for (const call of c.calls) {
      expect((call.init.headers as Record<string, string>)['Content-Type']).toBeUndefined();
      expect(call.init.body).toBeUndefined();
    }
    expect(c.calls.map((x) => `${x.init.method} ${x.url}`)).toEqual(['DELETE /api/tasks/42', 'POST /api/auth/session/logout']);
    expect(c.calls[0]!.init.keepalive).toBeUndefined();
  });

  it('lets a delete outlive the page when asked (flushed on page hide)', async () => {
    const c = client(() => new Response(null, { status: 204 }));
    await c.api.deleteTask('7', { keepalive: true });
    expect(c.calls[0]!.init.keepalive).toBe(true);
    expect((c.calls[0]!.init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });

  it('shows the API message of a failed call', async () => {
    const c = client(() => json(400, { statusCode: 400, error: 'Bad Request', message: "body/title must NOT have more than 200 characters" }));
    const err = await c.api.createTask({ title: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect((err as ApiRequestError).status).toBe(400);
    expect((err as ApiRequestError).message).toBe('Title must NOT have more than 200 characters');
    expect(c.unauthorized()).toBe(0);
  });

  it('ends the session on 401 from an authenticated call', async () => {
    const c = client(() => json(401, { statusCode: 401, error: 'Unauthorized', message: 'Token expired' }));
    await expect(c.api.listTasks({})).rejects.toThrow(SESSION_ENDED);
    expect(c.unauthorized()).toBe(1);
  });

  it('retries once with the token a renewal gives after a 401, and ends the session when that fails too', async () => {
    let n = 0;
    const f = fakeFetch((call) => {
      n++;
      const auth = (call.init.headers as Record<string, string>).Authorization;
      return auth === 'Bearer new' ? json(200, { items: [], total: 0, page: 1, pageSize: 20 }) : json(401, { statusCode: 401, error: 'Unauthorized', message: 'expired' });
    });
    const seen: (string | null)[] = [];
    const api = new ApiClient({ baseUrl: '/api', getToken: () => 'old', onUnauthorized: async (t) => (seen.push(t), t === 'old' ? 'new' : null), fetch: f.fn });
    await expect(api.listTasks({})).resolves.toMatchObject({ total: 0 });
    expect([n, seen]).toEqual([2, ['old']]);
    const never = new ApiClient({ baseUrl: '/api', getToken: () => 'old', onUnauthorized: async (t) => (seen.push(t), t === 'old' ? 'other' : null), fetch: f.fn });
    await expect(never.listTasks({})).rejects.toThrow(SESSION_ENDED);
    expect(seen).toEqual(['old', 'old', 'other']);
  });

  it('calls the cookie routes with the CSRF header and no token; their 401 is the API’s message, not a retry', async () => {
    const c = client(() => json(401, { statusCode: 401, error: 'Unauthorized', message: 'There is no session to renew: log in first.' }));
    await expect(c.api.refresh()).rejects.toThrow('There is no session to renew: log in first.');
    const headers = c.calls[0]!.init.headers as Record<string, string>;
    expect([c.calls[0]!.url, headers['X-Requested-With'], headers.Authorization]).toEqual(['/api/auth/session/refresh', 'fetch', undefined]);
    expect(c.unauthorized()).toBe(0);
  });

  it('names the field of an API message (a common password at sign-up: 422 body/password …)', async () => {
    const message = 'body/password is one of the most commonly used passwords; choose one that is harder to guess';
    const c = client(() => json(422, { statusCode: 422, error: 'Unprocessable Entity', message }));
    const err = (await c.api.signup({ email: 'a@b.c', password: 'password1' }).catch((e: unknown) => e)) as ApiRequestError;
    expect([err.status, err.field, err.message]).toEqual([422, 'password', 'Password is one of the most commonly used passwords; choose one that is harder to guess']);
  });

  it('treats 401 from log-in as wrong credentials, not as an ended session, and sends no token', async () => {
    const c = client(() => json(401, { statusCode: 401, error: 'Unauthorized', message: 'Wrong email or password.' }));
    await expect(c.api.login({ email: 'a@b.c', password: 'x' })).rejects.toThrow('Wrong email or password.');
    expect(c.unauthorized()).toBe(0);
    expect((c.calls[0]!.init.headers as Record<string, string>).Authorization).toBeUndefined();
  });

  it('explains network failures and non-JSON error pages', async () => {
    const down = client(() => Promise.reject(new TypeError('fetch failed')));
    await expect(down.api.me()).rejects.toMatchObject({ status: 0, message: expect.stringMatching(/Cannot reach the server/) });
    const proxy = client(() => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(proxy.api.me()).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/not available right now \(502\)/) });
    const garbage = client(() => new Response('not json', { status: 200 }));
    await expect(garbage.api.me()).rejects.toThrow(/cannot read/);
  });

  it('has fallbacks for statuses without a message', () => {
    expect(describeFailure(429, 'Too Many Requests', null)).toMatch(/Too many attempts/);
    expect(describeFailure(413, '', {})).toMatch(/too large/);
    expect(describeFailure(500, 'Internal Server Error', { message: '' })).toMatch(/problem \(500\)/);
    expect(describeFailure(418, "I'm a teapot", undefined)).toBe("The request failed (418 I'm a teapot).");
  });
});

/** A page with (or without) the embedded configuration element. */
const page = (text?: string) => ({
  getElementById: (id: string) => (text !== undefined && id === RUNTIME_CONFIG_ELEMENT_ID ? ({ textContent: text } as HTMLElement) : null),
});

describe('ApiClient: concurrency headers and the time zone', () => {
  it('sends If-Match with the version on PATCH and DELETE, the scope of a series delete, and Idempotency-Key on POST', async () => {
    const c = client((call) => (call.init.method === 'DELETE' ? new Response(null, { status: 204 }) : json(200, { id: 'x' })));
    await c.api.updateTask('t1', { title: 'x' }, { ifMatch: 3 });
    await c.api.deleteTask('t1', { ifMatch: 4, scope: 'series' });
    await c.api.deleteTask('t2', { scope: 'occurrence' });
    await c.api.createTask({ title: 'x' }, 'key-1');
    await c.api.updateTask('t1', { title: 'y' });
    const headers = c.calls.map((x) => x.init.headers as Record<string, string>);
    expect(headers[0]!['If-Match']).toBe('"3"');
    expect([c.calls[1]!.url, headers[1]!['If-Match']]).toEqual(['/api/tasks/t1?scope=series', '"4"']);
    expect(c.calls[2]!.url).toBe('/api/tasks/t2');
    expect(headers[3]!['Idempotency-Key']).toBe('key-1');
    expect(headers[4]!['If-Match']).toBeUndefined();
  });

  it('tells the server the browser’s time zone at sign-up and log-in', async () => {
    const c = client(() => json(200, {}), null);
    await c.api.login({ email: 'a@b.c', password: 'pw' });
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(JSON.parse(String(c.calls[0]!.init.body))).toEqual({ email: 'a@b.c', password: 'pw', timeZone: zone });
  });

  it('a 412 is an ApiRequestError with its status, for the task list to explain', async () => {
    const c = client(() => json(412, { statusCode: 412, error: 'Precondition Failed', message: 'The task was changed since you read it.' }));
    const err = await c.api.updateTask('t1', { title: 'x' }, { ifMatch: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect((err as ApiRequestError).status).toBe(412);
  });
});

describe('loadRuntimeConfig', () => {
  it('reads the configuration the server embedded in the page, without a request', async () => {
    const f = fakeFetch(() => json(500, {}));
    await expect(loadRuntimeConfig(f.fn, page('{"apiBaseUrl":"https://api.example.test/v1"}'))).resolves.toEqual({ apiBaseUrl: 'https://api.example.test/v1' });
    expect(f.calls).toHaveLength(0);
  });

  it('fetches the runtime configuration path when the page has none (dev server, older servers)', async () => {
    const f = fakeFetch(() => json(200, { apiBaseUrl: 'https://api.example.test' }));
    await expect(loadRuntimeConfig(f.fn, page())).resolves.toEqual({ apiBaseUrl: 'https://api.example.test' });
    expect(f.calls[0]!.url).toBe(FRONTEND.runtimeConfigPath);
    await expect(loadRuntimeConfig(f.fn, null)).resolves.toEqual({ apiBaseUrl: 'https://api.example.test' });
  });

  it('rejects a missing or malformed configuration with a message naming where it came from', async () => {
    await expect(loadRuntimeConfig(fakeFetch(() => json(200, { other: 1 })).fn, page())).rejects.toThrow(`(${FRONTEND.runtimeConfigPath}) is malformed`);
    await expect(loadRuntimeConfig(fakeFetch(() => json(404, {})).fn, page())).rejects.toThrow(/\(404\)/);
    // Embedded but broken is the server's bug: reported, not papered over by a second request.
    const f = fakeFetch(() => json(200, { apiBaseUrl: '/api' }));
    await expect(loadRuntimeConfig(f.fn, page('{"apiBaseUrl":'))).rejects.toThrow(`#${RUNTIME_CONFIG_ELEMENT_ID} in the page) is not valid JSON`);
    expect(() => readEmbeddedConfig(page('{"apiBaseUrl":""}'))).toThrow(/malformed: no apiBaseUrl/);
    expect(f.calls).toHaveLength(0);
  });
});
