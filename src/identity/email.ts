export type EmailResult =
  | { ok: true; email: string; domain: string }
  | { ok: false; reason: 'empty' | 'invalid' };

// Deliberately permissive: a client's odd-but-deliverable address must not be dropped. Rejects only what
// cannot be an address (no @, spaces, no dot in the domain).
const EMAIL_SHAPE = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:".]{2,}$/;

/** Trims, removes a `mailto:` prefix and angle brackets, lower-cases. Pure. */
export function normalizeEmail(input: string): EmailResult {
  let value = input.trim();
  const angled = /<([^>]+)>\s*$/.exec(value);
  if (angled?.[1]) value = angled[1].trim();
  value = value.replace(/^mailto:/i, '').toLowerCase();
  if (value === '') return { ok: false, reason: 'empty' };
  if (value.length > 254 || !EMAIL_SHAPE.test(value)) return { ok: false, reason: 'invalid' };
  const domain = value.slice(value.lastIndexOf('@') + 1);
  return { ok: true, email: value, domain };
}

// Robots never identify a client: their mail is a notification, not a person writing to us.
const ROBOT_LOCAL_PART =
  /^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|bounces?|notifications?)([+-].*)?$/i;

export function isRobotAddress(email: string): boolean {
  return ROBOT_LOCAL_PART.test(email.slice(0, email.lastIndexOf('@')));
}
