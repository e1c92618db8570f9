import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.js';

describe('CSV', () => {
  it('quotes what needs quoting, keeps spreadsheets from running formulas, starts with a BOM', () => {
    const csv = toCsv(
      ['name', 'n', 'when'],
      [
        ['Иванов, Пётр', 3, new Date('2026-11-30T06:00:00Z')],
        ['=HYPERLINK("x")', null, undefined],
        ['-1', -1, 'строка\nвторая'],
      ],
    );
    expect(csv).toBe(
      '\uFEFFname,n,when\r\n"Иванов, Пётр",3,2026-11-30T06:00:00.000Z\r\n"\'=HYPERLINK(""x"")",,\r\n\'-1,-1,"строка\nвторая"\r\n',
    );
  });
});
