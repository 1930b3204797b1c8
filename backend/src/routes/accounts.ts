/**
 * The account routes: sign-up, log-in, the session's cookie routes (refresh, log-out), the bearer
 * log-out and "me". Log-in and sign-up start a session (src/plugins/sessions.ts) and are rate limited
 * per address and per account (src/plugins/rate-limits.ts); passwords are hashed with bounded
 * concurrency (src/auth/password.ts); sign-up refuses the most common passwords
 * (src/auth/common-passwords.ts).
 */
import { API_ROUTES, type Credentials, SESSION_COOKIE } from '@todo/contract';
import type { FastifyPluginAsync } from 'fastify';
import { isCommonPassword } from '../auth/common-passwords';
import type { PasswordHasher } from '../auth/password';
import { HttpError } from '../errors';
import { knownTimeZone } from './settings';
import { CredentialsSchema, CsrfHeaderSchema, errors, SessionSchema, UserSchema } from '../schemas';

const bearer = [{ bearer: [] }];
const cookie = [{ refreshCookie: [] }];
const retryAfter = { 'retry-after': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } };
const setsCookie = {
  'set-cookie': {
    description: `The session's refresh cookie ${SESSION_COOKIE.name}: HttpOnly; Secure; SameSite=Strict; Path=${SESSION_COOKIE.path}; Max-Age = the idle timeout`,
  },
};
const clearsCookie = { 'set-cookie': { description: `Clears the refresh cookie (Max-Age=0) when the request carried one` } };
const normaliseEmail = (email: string) => email.trim().toLowerCase();

export const accountRoutes: FastifyPluginAsync<{ passwords: PasswordHasher }> = async (app, { passwords }) => {
  app.post<{ Body: Credentials }>(
    API_ROUTES.signup,
    {
      schema: {
        summary: 'Create an account; starts a session (an access token, and the refresh cookie)',
        tags: ['accounts'],
        body: CredentialsSchema,
        response: { 201: SessionSchema, ...errors(400, 409, 413, 415, 422, 429, 503) },
        responseHeaders: { 201: setsCookie, 429: retryAfter, 503: retryAfter },
      },
    },
    async (request, reply) => {
      const email = normaliseEmail(request.body.email);
      await app.limits.login(request, email);
      const timeZone = request.body.timeZone === undefined ? undefined : knownTimeZone(request.body.timeZone);
      if (isCommonPassword(request.body.password)) {
        // 422, not 400: the request is well-formed; a rule that no schema can state refuses it.
        throw new HttpError(422, 'body/password is one of the most commonly used passwords; choose one that is harder to guess');
      }
      const user = await app.accounts.createUser(email, await passwords.hash(request.body.password));
      if (!user) throw new HttpError(409, 'An account with this email already exists. Log in instead.');
      if (timeZone) await app.settings.setTimeZone(user.id, timeZone);
      request.log.info({ userId: user.id }, 'account created');
      return reply.code(201).send(await app.sessions.start(user, request, reply));
    },
  );

  app.post<{ Body: Credentials }>(
    API_ROUTES.login,
    {
      schema: {
        summary: 'Log in; starts a session (an access token, and the refresh cookie)',
        tags: ['accounts'],
        body: CredentialsSchema,
        response: { 200: SessionSchema, ...errors(400, 401, 413, 415, 422, 429, 503) },
        responseHeaders: { 200: setsCookie, 429: retryAfter, 503: retryAfter },
      },
    },
    async (request, reply) => {
      const email = normaliseEmail(request.body.email);
      await app.limits.login(request, email);
      const timeZone = request.body.timeZone === undefined ? undefined : knownTimeZone(request.body.timeZone);
      const found = await app.accounts.findUserByEmail(email);
      if (!found) await passwords.burn(request.body.password);
      if (!found || !(await passwords.verify(request.body.password, found.passwordHash))) {
        throw new HttpError(401, 'Wrong email or password.');
      }
      const { passwordHash: _, ...user } = found;
      if (timeZone) await app.settings.setTimeZone(user.id, timeZone);
      return app.sessions.start(user, request, reply);
    },
  );

  app.post(
    API_ROUTES.refresh,
    {
      schema: {
        summary: 'Renew the session: rotates the refresh cookie, returns a new access token',
        description:
          'Needs the refresh cookie and the X-Requested-With: fetch header; a request from another site (Sec-Fetch-Site, Origin) is refused with 403. ' +
          'A refresh cookie that was already used (after the grace period) ends its whole session: 401, and every token of the session is refused from then on.',
        tags: ['accounts'],
        security: cookie,
        headers: CsrfHeaderSchema,
        response: { 200: SessionSchema, ...errors(400, 401, 403, 503) },
        responseHeaders: { 200: setsCookie, 401: clearsCookie, 503: retryAfter },
      },
    },
    async (request, reply) => app.sessions.refresh(request, reply),
  );

  app.post(
    API_ROUTES.sessionLogout,
    {
      schema: {
        summary: "Log out (the web app): ends the refresh cookie's session, every token of it",
        description: 'Needs the refresh cookie and the X-Requested-With: fetch header; a request from another site is refused with 403.',
        tags: ['accounts'],
        security: cookie,
        headers: CsrfHeaderSchema,
        response: { 204: { type: 'null' }, ...errors(400, 401, 403, 503) },
        responseHeaders: { 204: clearsCookie, 401: clearsCookie, 503: retryAfter },
      },
    },
    async (request, reply) => {
      await app.sessions.endByCookie(request, reply);
      return reply.code(204).send();
    },
  );

  app.post(
    API_ROUTES.logout,
    {
      config: { auth: 'session' },
      schema: {
        summary: "Log out (API clients): ends the access token's session, every token of it",
        tags: ['accounts'],
        security: bearer,
        response: { 204: { type: 'null' }, ...errors(401, 503) },
        responseHeaders: { 503: retryAfter },
      },
    },
    async (request, reply) => {
      await app.sessions.endByToken(request.claims!);
      return reply.code(204).send();
    },
  );

  app.get(
    API_ROUTES.me,
    {
      config: { auth: 'session' },
      schema: { summary: 'The logged-in user', tags: ['accounts'], security: bearer, response: { 200: UserSchema, ...errors(401, 503) }, responseHeaders: { 503: retryAfter } },
    },
    async (request) => request.user,
  );
};
