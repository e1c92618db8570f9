/**
 * The 10-digit national number of a `+7XXXXXXXXXX` string as an integer, or undefined for anything else
 * (other country codes, spaces, wrong length). Callers normalise input (e.g. with libphonenumber) first.
 * Note that +7 6xx/7xx numbers are Kazakhstan; see `isKazakhNationalNumber`.
 */
export function nationalNumberOf(e164: string): number | undefined {
  if (e164.length !== 12 || e164.charCodeAt(0) !== 43 /* + */ || e164.charCodeAt(1) !== 55 /* 7 */) {
    return undefined;
  }
  let n = 0;
  for (let i = 2; i < 12; i++) {
    const d = e164.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n;
}

/** True for the +7 6xx and +7 7xx ranges, which belong to Kazakhstan, not Russia. */
export function isKazakhNationalNumber(nationalNumber: number): boolean {
  const leading = Math.floor(nationalNumber / 1_000_000_000);
  return leading === 6 || leading === 7;
}
