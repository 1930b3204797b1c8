/**
 * The account routes: sign-up, log-in, log-out and "me". Log-in and sign-up are rate limited per
 * address and per account (src/plugins/rate-limits.ts); passwords are hashed with bounded concurrency
 * (src/auth/password.ts); sign-up refuses the most common passwords (src/auth/common-passwords.ts).
 */
import { API_ROUTES, type Credentials } from '@todo/contract';
import type { FastifyPluginAsync } from 'fastify';
import { isCommonPassword } from '../auth/common-passwords';
import type { PasswordHasher } from '../auth/password';
import { HttpError } from '../errors';
import { knownTimeZone } from './settings';
import { CredentialsSchema, errors, SessionSchema, UserSchema } from '../schemas';

const bearer = [{ bearer: [] }];
const retryAfter = { 'retry-after': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } };
const normaliseEmail = (email: string) => email.trim().toLowerCase();

export const accountRoutes: FastifyPluginAsync<{ passwords: PasswordHasher }> = async (app, { passwords }) => {
  app.post<{ Body: Credentials }>(
    API_ROUTES.signup,
    {
      schema: {
        summary: 'Create an account; returns a session',
        tags: ['accounts'],
        body: CredentialsSchema,
        response: { 201: SessionSchema, ...errors(400, 409, 413, 415, 422, 429, 503) },
        responseHeaders: { 429: retryAfter, 503: retryAfter },
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
      return reply.code(201).send(app.sessions.issue(user));
    },
  );

  app.post<{ Body: Credentials }>(
    API_ROUTES.login,
    {
      schema: {
        summary: 'Log in; returns a session',
        tags: ['accounts'],
        body: CredentialsSchema,
        response: { 200: SessionSchema, ...errors(400, 401, 413, 415, 422, 429, 503) },
        responseHeaders: { 429: retryAfter, 503: retryAfter },
      },
    },
    async (request) => {
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
      return app.sessions.issue(user);
    },
  );

  app.post(
    API_ROUTES.logout,
    {
      config: { auth: 'session' },
      schema: {
        summary: 'Log out: revokes the presented token',
        tags: ['accounts'],
        security: bearer,
        response: { 204: { type: 'null' }, ...errors(401, 503) },
        responseHeaders: { 503: retryAfter },
      },
    },
    async (request, reply) => {
      const claims = request.claims!;
      await app.accounts.revokeToken(claims.jti, new Date(claims.exp * 1000));
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
