import { z } from 'zod';

/**
 * Unknown fields are refused, not dropped: a client writing `"vk"` instead of `"userId"` would otherwise be
 * accepted and deduplicated by nothing. The message names the field and the nearest valid name.
 */

/** Common wrong names that are not close in spelling to the right one: `{ vk: 'userId' }`. */
export type FieldHints = Readonly<Record<string, string>>;

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The known name closest to `given` (case, `_` and `-` ignored; a prefix counts as close), if any is close. */
export function nearestName(
  given: string,
  known: readonly string[],
  hints: FieldHints = {},
): string | undefined {
  const hinted = hints[given] ?? hints[squash(given)];
  if (hinted && known.includes(hinted)) return hinted;
  const g = squash(given);
  let best: { name: string; score: number } | undefined;
  for (const name of known) {
    const k = squash(name);
    const score = g && (k.startsWith(g) || g.startsWith(k)) ? Math.min(1, distance(g, k)) : distance(g, k);
    if (!best || score < best.score) best = { name, score };
  }
  return best && best.score <= Math.max(2, Math.ceil(g.length / 3)) ? best.name : undefined;
}

/** `unknown field "vk" (did you mean "userId"?)`, or the valid names when none is close. */
export function unknownFieldMessage(
  key: string,
  known: readonly string[],
  hints: FieldHints = {},
  noun = 'field',
): string {
  const near = nearestName(key, known, hints);
  return near
    ? `unknown ${noun} "${key}" (did you mean "${near}"?)`
    : `unknown ${noun} "${key}" (expected one of: ${known.join(', ')})`;
}

const SEPARATOR = '\n';

/**
 * A zod object that refuses unknown keys, each reported with the nearest valid name. Use it for every input
 * object (API bodies); `unknownFieldIssues` turns its issue into one issue per unknown key.
 */
export function strictObject<T extends z.ZodRawShape>(shape: T, hints: FieldHints = {}) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => unknownFieldMessage(k, known, hints)).join(SEPARATOR)
        : undefined,
  });
}

/** One `{ path, message }` per issue, and per unknown key (its path ends with the key itself). */
export function unknownFieldIssues(
  issues: readonly z.core.$ZodIssue[],
): { path: PropertyKey[]; message: string }[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return [{ path: issue.path, message: issue.message }];
    const messages = issue.message.split(SEPARATOR);
    return issue.keys.map((key, i) => ({
      path: [...issue.path, key],
      message: messages.length === issue.keys.length ? messages[i]! : `unknown field "${key}"`,
    }));
  });
}
