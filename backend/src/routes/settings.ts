/**
 * The user's settings: `GET` / `PATCH /api/settings` `{timeZone}`. The zone is also stored at sign-up
 * and log-in from the browser's (src/routes/accounts.ts); it decides "today" and the local time of
 * reminders for recurring tasks.
 */
import { API_ROUTES, type Settings } from '@todo/contract';
import { canonicalTimeZone } from '@todo/contract/recurrence';
import type { FastifyPluginAsync } from 'fastify';
import { HttpError, sessionInvalid } from '../errors';
import { BEARER, errors, RETRY_AFTER, SettingsSchema } from '../schemas';


/**
 * The runtime's spelling of an IANA zone the body names, or a 422 naming the field: a well-formed name
 * that is in no time zone database is refused by a rule no schema can state (the database itself).
 */
export function knownTimeZone(name: string, where = 'body/timeZone'): string {
  const zone = canonicalTimeZone(name);
  if (!zone) throw new HttpError(422, `${where} "${name}" is not a time zone this server knows; use an IANA name such as Europe/Berlin`);
  return zone;
}

export const settingsRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    API_ROUTES.settings,
    {
      config: { auth: 'session' },
      schema: { summary: 'Your settings', tags: ['settings'], security: BEARER, response: { 200: SettingsSchema, ...errors(401, 503) }, responseHeaders: { 503: RETRY_AFTER } },
    },
    async (request): Promise<Settings> => {
      const timeZone = await app.settings.timeZone(request.user.id);
      if (timeZone === undefined) throw sessionInvalid();
      return { timeZone };
    },
  );

  app.patch<{ Body: Settings }>(
    API_ROUTES.settings,
    {
      config: { auth: 'session' },
      schema: {
        summary: 'Change your time zone (recurring tasks keep their local times in it from their next rule change on)',
        tags: ['settings'],
        security: BEARER,
        body: SettingsSchema,
        response: { 200: SettingsSchema, ...errors(400, 401, 413, 415, 422, 503) },
        responseHeaders: { 503: RETRY_AFTER },
      },
    },
    async (request): Promise<Settings> => {
      const timeZone = knownTimeZone(request.body.timeZone);
      if (!(await app.settings.setTimeZone(request.user.id, timeZone))) throw sessionInvalid();
      return { timeZone };
    },
  );
};
