import { headerBlock, headerValues } from './headers.js';

/**
 * Structural problems of a message that the parser tolerates silently. The message is still processed
 * (a request with broken MIME is still a request); the problems are flagged on it for a human to look at.
 */
export function mimeProblems(raw: Uint8Array, parsed: { text?: string; attachments: unknown[] }): string[] {
  const problems: string[] = [];
  const block = headerBlock(raw);
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (buf.indexOf('\r\n\r\n') < 0 && buf.indexOf('\n\n') < 0)
    problems.push('no blank line between headers and body');
  if (headerValues(block, 'from').length === 0) problems.push('no From header');
  const ct = headerValues(block, 'content-type')[0] ?? '';
  if (/^\s*multipart\//i.test(ct)) {
    const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(ct);
    const b = boundary?.[1] ?? boundary?.[2];
    if (!b) problems.push('multipart without a boundary parameter');
    else {
      const body = buf.subarray(block.length).toString('latin1');
      if (!body.includes(`--${b}`)) problems.push('the multipart boundary never appears in the body');
      else if (!body.includes(`--${b}--`))
        problems.push('no closing multipart boundary (truncated message?)');
    }
  }
  // 8-bit UTF-8 in headers is allowed (RFC 6532); other raw 8-bit text cannot be decoded reliably.
  if (/[\x80-\xff]/.test(block) && Buffer.from(block, 'latin1').toString('utf8').includes('\ufffd'))
    problems.push('unencoded non-UTF-8 characters in headers');
  if (!parsed.text && parsed.attachments.length === 0 && buf.length - block.length > 8)
    problems.push('no readable text part');
  return problems;
}
