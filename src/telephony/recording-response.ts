import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Sql } from 'postgres';
import { NotFoundError } from '../core/errors.js';
import { getCall } from './call-store.js';

/** The stored recording of a call as an HTTP response (the API and the web app's player). */
export async function recordingResponse(
  sql: Sql,
  recordingsDir: string | undefined,
  callId: string,
): Promise<Response> {
  const call = await getCall(sql, callId);
  const file = call?.recording as {
    status: string;
    fileName: string | null;
    contentType: string | null;
  } | null;
  if (!call || !file || file.status !== 'stored' || !file.fileName || !recordingsDir)
    throw new NotFoundError('recording');
  const full = path.join(recordingsDir, path.basename(file.fileName));
  const size = await stat(full).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined) throw new NotFoundError('recording file');
  return new Response(Readable.toWeb(createReadStream(full)) as ReadableStream, {
    status: 200,
    headers: {
      'content-type': file.contentType ?? 'application/octet-stream',
      'content-length': String(size),
    },
  });
}
