/**
 * Per-process cache of task pages (`GET /api/tasks`), exact across replicas.
 *
 * An entry is keyed by user and normalised query and holds the page's JSON bytes together with the
 * user's `tasks_version` it was read at (one statement, one snapshot). `users.tasks_version` is
 * bumped by a trigger in the same transaction as every task insert, update and delete (migration 2),
 * so a page is still exact exactly when the version is unchanged. Every request still asks the
 * database — one tiny indexed statement that also checks the session (user exists, token not
 * revoked) — and uses the cached bytes only when the version it gets back is the entry's. A write
 * through any replica, or a log-out, is therefore seen by the very next request on every replica.
 *
 * Memory is bounded: least recently used entries are dropped beyond `maxBytes` (bodies, their
 * compressed variants, keys and a fixed overhead per entry); a page bigger than a quarter of the
 * budget is not cached.
 *
 * A page is compressed (brotli or gzip, as a client asks) once per entry, not once per response.
 */
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export type Encoding = 'br' | 'gzip';

export interface CachedPage {
  version: string;
  body: Buffer;
  etag: string;
  size: number;
  /** Compressed variants, made on first demand. */
  variants?: Partial<Record<Encoding, Buffer>>;
}

/** Pages below this size are sent as they are (as @fastify/compress's threshold). */
export const COMPRESS_MIN_BYTES = 1024;

const compressors: Record<Encoding, (b: Buffer) => Buffer> = {
  br: (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: b.length } }),
  gzip: (b) => gzipSync(b),
};

const ENTRY_OVERHEAD = 200;

/** Default budget per process: 16 MiB (about a thousand 50-task pages). */
export const LIST_CACHE_DEFAULT_BYTES = 16 * 1024 * 1024;

/** `"<key digest>.<version>"`: distinct for two users (or two queries) even at equal versions. */
export function pageEtag(key: string, version: string): string {
  return `"${createHash('sha1').update(key).digest('base64url').slice(0, 16)}.${version}"`;
}

export class ListCache {
  private readonly entries = new Map<string, CachedPage>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number = LIST_CACHE_DEFAULT_BYTES) {}

  get size(): number {
    return this.entries.size;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  /** The entry (marked most recently used), or undefined. The caller compares its version. */
  get(key: string): CachedPage | undefined {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  /** The page compressed with `encoding`, made once and counted against the budget while cached. */
  variant(key: string, page: CachedPage, encoding: Encoding): Buffer {
    const made = page.variants?.[encoding];
    if (made) return made;
    const body = compressors[encoding](page.body);
    page.variants = { ...page.variants, [encoding]: body };
    if (this.entries.get(key) === page) {
      page.size += body.length;
      this.bytes += body.length;
      this.evict();
    }
    return body;
  }

  /** Stores a page read at `version`, unless a newer one is already there. Returns the entry. */
  set(key: string, version: string, body: Buffer): CachedPage {
    const entry: CachedPage = { version, body, etag: pageEtag(key, version), size: body.length + key.length * 2 + ENTRY_OVERHEAD };
    const old = this.entries.get(key);
    // Two requests may race: keep the page of the later version (versions only grow).
    if (old && BigInt(old.version) > BigInt(version)) return entry;
    if (old) this.remove(key, old);
    if (this.maxBytes <= 0 || entry.size > this.maxBytes / 4) return entry;
    this.entries.set(key, entry);
    this.bytes += entry.size;
    this.evict();
    return entry;
  }

  private evict() {
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(k, e);
    }
  }

  private remove(key: string, e: CachedPage) {
    this.entries.delete(key);
    this.bytes -= e.size;
  }
}
