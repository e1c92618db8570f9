/**
 * The phone numbers of a vCard (MAX shares contacts as `vcf_info`). Lenient: `TEL;TYPE=cell:…`,
 * `item1.TEL:…`, `TEL;VALUE=uri:tel:+7…`, folded lines. Pure.
 */
export function vcardPhones(vcf: string): string[] {
  const unfolded = vcf.replace(/\r?\n[ \t]/g, '');
  const phones: string[] = [];
  for (const line of unfolded.split(/\r?\n/)) {
    const m = /^(?:[\w-]+\.)?TEL(?:;[^:]*)?:(.+)$/i.exec(line.trim());
    if (!m) continue;
    const value = m[1]!.trim().replace(/^tel:/i, '');
    if (value) phones.push(value);
  }
  return phones;
}
