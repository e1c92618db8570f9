const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
const DURATION = /^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$/;

/**
 * Parses a duration as written in config: `2h`, `90m`, `1h30m`, `1d`, `45s` (units in this order, each at
 * most once). Returns milliseconds, or undefined for anything else (including an empty or zero duration).
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || m.slice(1).every((g) => g === undefined)) return undefined;
  const [d, h, min, s] = m.slice(1).map((g) => Number(g ?? 0)) as [number, number, number, number];
  const ms = d * UNIT_MS.d + h * UNIT_MS.h + min * UNIT_MS.m + s * UNIT_MS.s;
  return ms > 0 ? ms : undefined;
}

/** Russian "2 ч 05 мин" / "45 мин" / "3 д 4 ч" for alert texts (rounded down to the minute). */
export function formatAgeRu(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / UNIT_MS.m));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return `${days} д ${hours} ч`;
  if (hours > 0) return `${hours} ч ${String(mins).padStart(2, '0')} мин`;
  return `${mins} мин`;
}
