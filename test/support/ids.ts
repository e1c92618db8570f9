let counter = Math.floor(Math.random() * 1_000_000);

/** A fresh, valid Russian mobile number (national digits) so tests sharing a database never collide. */
export function freshPhone(): string {
  counter++;
  return `912${String(counter % 10_000_000).padStart(7, '0')}`;
}

export function freshEmail(): string {
  counter++;
  return `client${counter}@example-${counter % 97}.ru`;
}

/** The same national number in the formats channels actually send. */
export function phoneFormats(national: string): string[] {
  const [a, b, c, d] = [
    national.slice(0, 3),
    national.slice(3, 6),
    national.slice(6, 8),
    national.slice(8, 10),
  ];
  return [
    `8 (${a}) ${b}-${c}-${d}`,
    `+7 ${a} ${b} ${c} ${d}`,
    `8${national}`,
    `7${national}`,
    national,
    `+7(${a})${b}-${c}-${d} доб. 12`,
    `8-${a}-${b}-${c}-${d}`,
  ];
}
