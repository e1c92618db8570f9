/** Why a numbering-plan file was rejected. */
export type GeoDataErrorCode = 'GEO_HEADER_MISMATCH' | 'GEO_MALFORMED_ROW' | 'GEO_ENCODING';

/**
 * The registry data does not look like what this parser was written for. Never retryable: the file (or the
 * publisher's format) must be looked at by a human, so callers should fail loudly or fall back to area codes.
 */
export class GeoDataError extends Error {
  override readonly name = 'GeoDataError';
  readonly code: GeoDataErrorCode;
  readonly retryable = false;
  /** File name or other label of the input, for the log line. */
  readonly source: string;
  /** 1-based line number, when the problem is on one line. */
  readonly line: number | undefined;

  constructor(code: GeoDataErrorCode, message: string, details: { source: string; line?: number }) {
    super(`${details.source}${details.line === undefined ? '' : `:${details.line}`}: ${message}`);
    this.code = code;
    this.source = details.source;
    this.line = details.line;
  }
}
