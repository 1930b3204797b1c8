/**
 * The versioned schema migrations, applied in order by `migrate()` (src/db/migrator.ts).
 * A migration, once released, never changes: add a new one instead. Each runs in one transaction.
 * Keep them backward compatible with the previous release (add, then remove in a later release),
 * because old and new replicas run side by side during a rolling update.
 */
export interface Migration {
  /** Positive, strictly increasing. */
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, tasks and revoked tokens',
    sql: `
      create table users (
        id uuid primary key default gen_random_uuid(),
        -- stored lower-cased: one account per address whatever its case
        email text not null unique,
        -- scrypt$N$r$p$salt$hash (src/auth/password.ts)
        password_hash text not null,
        created_at timestamptz not null default now()
      );

      create table tasks (
        id uuid primary key default gen_random_uuid(),
        user_id uuid not null references users (id) on delete cascade,
        title text not null,
        description text not null default '',
        priority text not null default 'medium',
        tags text[] not null default '{}',
        due_date date,
        completed boolean not null default false,
        completed_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      -- every query is scoped to one user; the default listing is newest first
      create index tasks_user_created_idx on tasks (user_id, created_at desc, id desc);
      create index tasks_user_due_idx on tasks (user_id, due_date);

      -- logged-out tokens, until they would have expired anyway
      create table revoked_tokens (
        jti uuid primary key,
        expires_at timestamptz not null
      );
      create index revoked_tokens_expires_idx on revoked_tokens (expires_at);
    `,
  },
  {
    version: 2,
    name: 'users.tasks_version, bumped by every task write',
    // The list cache (src/list-cache.ts) keys a user's pages by this counter and checks it on every
    // request. A trigger (not the application) bumps it, in the same transaction as the write, so
    // every writer is covered: this release, the previous one during a rolling update, psql.
    // (TRUNCATE fires no row trigger: never truncate tasks under running replicas.)
    sql: `
      alter table users add column tasks_version bigint not null default 0;

      create function tasks_bump_version() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'INSERT' then
          update users set tasks_version = tasks_version + 1 where id = old.user_id;
        end if;
        if tg_op <> 'DELETE' and (tg_op = 'INSERT' or new.user_id is distinct from old.user_id) then
          update users set tasks_version = tasks_version + 1 where id = new.user_id;
        end if;
        return null;
      end
      $$;

      create trigger tasks_bump_version after insert or update or delete on tasks
        for each row execute function tasks_bump_version();
    `,
  },
  {
    version: 3,
    name: 'task versions, monotonic updated_at, per-user task counts, idempotency keys',
    // Triggers again, so that every writer is covered (the previous release during a rolling update too):
    // - tasks_touch (before update): version + 1 (If-Match, src/routes/tasks.ts) and an updated_at that
    //   never goes backwards, even when two transactions that started in the other order update a task;
    // - tasks_bump_version (after insert/update/delete) now also keeps users.task_count, which the
    //   create statement compares with the quota while it holds the user's row lock.
    // idempotency_keys: POST /api/tasks with an Idempotency-Key (src/db/store.ts), kept 24 hours.
    sql: `
      alter table tasks add column version integer not null default 1;
      alter table users add column task_count integer not null default 0;
      update users u set task_count = (select count(*) from tasks t where t.user_id = u.id);

      create function tasks_touch() returns trigger language plpgsql as $$
      begin
        new.version := old.version + 1;
        new.updated_at := greatest(new.updated_at, clock_timestamp(), old.updated_at + interval '1 millisecond');
        return new;
      end
      $$;
      create trigger tasks_touch before update on tasks
        for each row execute function tasks_touch();

      create or replace function tasks_bump_version() returns trigger language plpgsql as $$
      begin
        if tg_op = 'UPDATE' and new.user_id is not distinct from old.user_id then
          update users set tasks_version = tasks_version + 1 where id = old.user_id;
          return null;
        end if;
        if tg_op <> 'INSERT' then
          update users set tasks_version = tasks_version + 1, task_count = task_count - 1 where id = old.user_id;
        end if;
        if tg_op <> 'DELETE' then
          update users set tasks_version = tasks_version + 1, task_count = task_count + 1 where id = new.user_id;
        end if;
        return null;
      end
      $$;

      create table idempotency_keys (
        user_id uuid not null references users (id) on delete cascade,
        key text not null,
        -- sha256 of the request body as the server parsed it (canonical JSON)
        request_hash text not null,
        -- set in the transaction that claimed the key; a deleted task takes its key with it
        task_id uuid references tasks (id) on delete cascade,
        created_at timestamptz not null default now(),
        primary key (user_id, key)
      );
      create index idempotency_keys_created_idx on idempotency_keys (created_at);
    `,
  },
  {
    version: 4,
    name: 'sessions: refresh-token families with their current generation',
    // One row per session (a log-in): the refresh token of generation N is computed from (id, N)
    // with a server key (src/auth/refresh-token.ts), so no token is stored. A refresh presenting the
    // current generation moves it on; an older one (outside the grace period) is a reuse and ends the
    // session. Ending a session also puts its id in revoked_tokens until access_expires_at, the latest
    // expiry of an access token issued for it: access tokens carry the session id (claim sid), and
    // every session check looks it up there.
    sql: `
      create table sessions (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        generation integer not null default 1,
        -- when the current generation was issued: its idle deadline and the grace period start here
        rotated_at timestamptz not null default now(),
        created_at timestamptz not null default now(),
        -- the absolute end (SESSION_MAX_AGE_SECONDS after the log-in)
        expires_at timestamptz not null,
        access_expires_at timestamptz not null,
        ended_at timestamptz,
        -- 'logout', 'reuse', 'idle' or 'expired'
        end_reason text
      );
      create index sessions_user_idx on sessions (user_id);
      create index sessions_expires_idx on sessions (expires_at);
    `,
  },
  {
    version: 5,
    name: 'time zones, recurring tasks, reminders',
    // - users.time_zone: the IANA zone recurring tasks and reminders are computed in (src/routes/settings.ts);
    // - task_series: a recurring task's rule, its schedule's start (anchor) and the zone it was set in;
    //   each occurrence is a task with series_id, occurrence (1, 2, …) and occurrence_date (the schedule
    //   date it stands for). The unique (series_id, occurrence) key makes "the next occurrence" exist at
    //   most once, whatever runs at the same time (src/db/series.ts);
    // - tasks.remind_at, tasks.reminder_acknowledged_at: reminders and whether they were seen, on any device;
    // - tasks_touch: acknowledging a reminder alone is no change of the task (same version and
    //   updated_at: the task reads the same), any other update still is.
    // Everything is nullable or defaulted: the previous release, which knows none of it, keeps working.
    sql: `
      alter table users add column time_zone text not null default 'UTC';

      create table task_series (
        id uuid primary key default gen_random_uuid(),
        user_id uuid not null references users (id) on delete cascade,
        frequency text not null check (frequency in ('daily', 'weekly', 'monthly')),
        every integer not null check (every between 1 and 365),
        weekdays smallint[] not null default '{}',
        until date,
        max_count integer check (max_count >= 1),
        anchor date not null,
        time_zone text not null,
        created_at timestamptz not null default now()
      );
      create index task_series_user_idx on task_series (user_id);

      alter table tasks
        add column series_id uuid references task_series (id),
        add column occurrence integer,
        add column occurrence_date date,
        add column remind_at timestamptz,
        add column reminder_acknowledged_at timestamptz,
        add constraint tasks_series_occurrence_key unique (series_id, occurrence),
        add constraint tasks_series_complete check ((series_id is null) = (occurrence is null) and (series_id is null) = (occurrence_date is null));
      create index tasks_series_idx on tasks (series_id) where series_id is not null;
      -- GET /api/reminders: a user's unacknowledged reminders of open tasks, by time
      create index tasks_user_reminder_idx on tasks (user_id, remind_at)
        where remind_at is not null and reminder_acknowledged_at is null and not completed;

      create or replace function tasks_touch() returns trigger language plpgsql as $$
      declare
        probe tasks;
      begin
        if new.reminder_acknowledged_at is distinct from old.reminder_acknowledged_at then
          probe := new;
          probe.reminder_acknowledged_at := old.reminder_acknowledged_at;
          if probe is not distinct from old then
            return new;
          end if;
        end if;
        new.version := old.version + 1;
        new.updated_at := greatest(new.updated_at, clock_timestamp(), old.updated_at + interval '1 millisecond');
        return new;
      end
      $$;
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
