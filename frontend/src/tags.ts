import { LIMITS } from '@todo/contract';

const tagRe = new RegExp(LIMITS.tagPattern);

export type TagsResult = { ok: true; tags: string[] } | { ok: false; error: string };

/**
 * Reads the tags field: words separated by commas or spaces, a leading '#' allowed, case folded.
 * Duplicates are dropped. Returns one clear error naming the first bad tag.
 */
export function parseTags(text: string): TagsResult {
  const tags: string[] = [];
  for (const raw of text.split(/[\s,]+/)) {
    const tag = raw.replace(/^#/, '').toLowerCase();
    if (!tag) continue;
    if (tag.length > LIMITS.tagMaxLength) return { ok: false, error: `Tag “${tag.slice(0, 20)}…” is longer than ${LIMITS.tagMaxLength} characters.` };
    if (!tagRe.test(tag)) return { ok: false, error: `Tag “${tag}” may contain only letters, digits, “-” and “_”, and must start with a letter or digit.` };
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (tags.length > LIMITS.tagsMaxCount) return { ok: false, error: `At most ${LIMITS.tagsMaxCount} tags per task (you gave ${tags.length}).` };
  return { ok: true, tags };
}

export function formatTags(tags: readonly string[]): string {
  return tags.join(', ');
}
