/**
 * Reminders: `GET /api/reminders` lists the due ones (and, with `within`, those coming due soon, so a
 * client can time them to the second); `POST /api/reminders/acknowledge` marks them seen on every
 * device (src/db/reminders.ts).
 */
import { API_ROUTES, LIMITS, type ReminderAcknowledge } from '@todo/contract';
import { normalizeInstant } from '@todo/contract/recurrence';
import type { FastifyPluginAsync } from 'fastify';
import { SESSION_INVALID } from '../db/sql';
import { sessionInvalid } from '../errors';
import { BEARER, errors, ReminderAcknowledgedSchema, ReminderAcknowledgeSchema, ReminderListSchema, ReminderQuerySchema, RETRY_AFTER } from '../schemas';
import { checkRemindAt } from './tasks';


export const reminderRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { within?: number } }>(
    API_ROUTES.reminders,
    {
      config: { auth: 'inline' },
      schema: {
        summary: `Reminders due now (or within \`within\` minutes) that no device has acknowledged, oldest first (at most ${LIMITS.remindersMax})`,
        tags: ['reminders'],
        security: BEARER,
        querystring: ReminderQuerySchema,
        response: { 200: ReminderListSchema, ...errors(400, 401, 503) },
        responseHeaders: { 503: RETRY_AFTER },
      },
    },
    async (request, reply) => {
      const { sub, jti } = request.claims!;
      const json = await app.reminders.due(sub, jti, request.query.within ?? 0, LIMITS.remindersMax);
      if (json === SESSION_INVALID) throw sessionInvalid();
      return reply.type('application/json; charset=utf-8').send(json);
    },
  );

  app.post<{ Body: ReminderAcknowledge }>(
    API_ROUTES.remindersAcknowledge,
    {
      config: { auth: 'inline' },
      schema: {
        summary: 'Mark reminders as seen, for every device (each only if its remindAt is still the one named)',
        tags: ['reminders'],
        security: BEARER,
        body: ReminderAcknowledgeSchema,
        response: { 200: ReminderAcknowledgedSchema, ...errors(400, 401, 413, 415, 429, 503) },
        responseHeaders: { 429: RETRY_AFTER, 503: RETRY_AFTER },
      },
    },
    async (request) => {
      const { sub, jti } = request.claims!;
      await app.limits.write(request);
      request.body.items.forEach((item, i) => checkRemindAt(item, `body/items/${i}/remindAt`));
      const items = request.body.items.map((i) => ({ taskId: i.taskId, remindAt: normalizeInstant(i.remindAt) }));
      const acknowledged = await app.reminders.acknowledge(sub, jti, items);
      if (acknowledged === SESSION_INVALID) throw sessionInvalid();
      return { acknowledged };
    },
  );
};
