/**
 * Refuses text that is not well-formed Unicode: a string with an unpaired UTF-16 surrogate (JSON may
 * carry one as an escape, "\ud800") cannot be written as UTF-8, and the database driver would store
 * U+FFFD in its place. Checked before schema validation, in the body and the query string, with a 400
 * that names the field like the schema's own errors.
 */
import fp from 'fastify-plugin';
import { HttpError } from '../errors';

/** String.prototype.isWellFormed (ES2024, Node 20+; the shared TypeScript lib is ES2023). */
const isWellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

/** The path of the first string in `value` that is not well-formed, or undefined. */
export function illFormed(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return isWellFormed(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = illFormed(value[i], `${path}/${i}`);
      if (bad) return bad;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const bad = illFormed(k, path) ?? illFormed(v, `${path}/${k}`);
      if (bad) return bad;
    }
  }
  return undefined;
}

export const wellFormed = fp(
  (app, _opts, done) => {
    // Callback style (no promise per request): it runs on every request.
    app.addHook('preValidation', (request, _reply, next) => {
      const bad = illFormed(request.body, 'body') ?? illFormed(request.query, 'querystring');
      next(bad ? new HttpError(400, `${bad} must not contain unpaired UTF-16 surrogates`) : undefined);
    });
    done();
  },
  { name: 'well-formed' },
);
