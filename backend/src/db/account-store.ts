/** The SQL of accounts: users, the session check of access tokens, and revoked tokens of an earlier release. */
import type { User } from '@todo/contract';
import { PREPARED } from './sql';
import type { Queryable } from './types';

interface UserRow {
  id: string;
  email: string;
  created_at: Date | string;
}
const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();
const toUser = (r: UserRow): User => ({ id: r.id, email: r.email, createdAt: iso(r.created_at) });

export function createAccountStore(db: Queryable) {
  return {
    /** Creates the user, or returns undefined when the email is taken. */
    async createUser(email: string, passwordHash: string): Promise<User | undefined> {
      const { rows } = await db.query<UserRow>(
        'insert into users (email, password_hash) values ($1, $2) on conflict (email) do nothing returning id, email, created_at',
        [email, passwordHash],
      );
      return rows[0] && toUser(rows[0]);
    },

    async findUserByEmail(email: string): Promise<(User & { passwordHash: string }) | undefined> {
      const { rows } = await db.query<UserRow & { password_hash: string }>('select id, email, created_at, password_hash from users where email = $1', [email], PREPARED);
      return rows[0] && { ...toUser(rows[0]), passwordHash: rows[0].password_hash };
    },

    /** The token's user, or undefined when the user is gone or the token's session ended (one query). */
    async sessionUser(userId: string, sessionId: string): Promise<User | undefined> {
      const { rows } = await db.query<UserRow>(
        'select u.id, u.email, u.created_at from users u where u.id = $1 and not exists (select 1 from revoked_tokens r where r.jti = $2)',
        [userId, sessionId],
        PREPARED,
      );
      return rows[0] && toUser(rows[0]);
    },

    /** Revokes a token that belongs to no session row (an access token of an earlier release, keyed by its jti). */
    async revokeToken(jti: string, expiresAt: Date): Promise<void> {
      await db.query('insert into revoked_tokens (jti, expires_at) values ($1, $2) on conflict (jti) do nothing', [jti, expiresAt.toISOString()]);
    },
  };
}

export type AccountStore = ReturnType<typeof createAccountStore>;
