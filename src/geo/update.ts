import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NUMBERING_PLAN_FILES, parseNumberingPlan } from './numbering-plan.js';

export type NumberingPlanFile = (typeof NUMBERING_PLAN_FILES)[number];

/** A file that was validated and put in place. */
export interface InstalledFile {
  file: NumberingPlanFile;
  bytes: number;
  rows: number;
  geographicRows: number;
}

export interface UpdateOutcome {
  installed: InstalledFile[];
  failed: { file: string; error: string }[];
}

export interface DownloadOptions {
  /** Directory the files are URLs under, e.g. https://opendata.digital.gov.ru/downloads/ */
  baseUrl: string;
  /** The target directory (created if missing). */
  dir: string;
  /** The publisher refuses requests without a browser-like User-Agent. */
  userAgent: string;
  files?: readonly NumberingPlanFile[];
  /** Per file; the ABC-3xx file is ~14 MB. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Downloads the registry files, validates each (header, every row) and replaces the installed copy
 * atomically; a file that fails to download or validate leaves the installed one untouched. Never throws for
 * one bad file: the outcome lists what was installed and what failed.
 */
export async function downloadNumberingPlan(opts: DownloadOptions): Promise<UpdateOutcome> {
  const doFetch = opts.fetch ?? fetch;
  const outcome: UpdateOutcome = { installed: [], failed: [] };
  await mkdir(opts.dir, { recursive: true });
  for (const file of opts.files ?? NUMBERING_PLAN_FILES) {
    try {
      const url = new URL(file, opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
      const res = await doFetch(url, {
        headers: { 'user-agent': opts.userAgent, accept: 'text/csv,*/*;q=0.8' },
        signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status} from ${url.origin}${url.pathname}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      outcome.installed.push(await install(file, bytes, opts.dir));
    } catch (err) {
      outcome.failed.push({ file, error: (err as Error).message });
    }
  }
  return outcome;
}

/**
 * Installs registry files from local paths (e.g. downloaded by hand). The file name must be one of
 * ABC-3xx.csv, ABC-4xx.csv, ABC-8xx.csv, DEF-9xx.csv; each is validated before it replaces the installed one.
 */
export async function importNumberingPlan(paths: readonly string[], dir: string): Promise<UpdateOutcome> {
  const outcome: UpdateOutcome = { installed: [], failed: [] };
  await mkdir(dir, { recursive: true });
  for (const p of paths) {
    const name = path.basename(p);
    try {
      if (!(NUMBERING_PLAN_FILES as readonly string[]).includes(name)) throw new NotARegistryFileError(name);
      if (path.resolve(p) === path.resolve(dir, name)) {
        outcome.installed.push(describe(name as NumberingPlanFile, await readFile(p)));
        continue;
      }
      outcome.installed.push(await install(name as NumberingPlanFile, await readFile(p), dir));
    } catch (err) {
      outcome.failed.push({ file: p, error: (err as Error).message });
    }
  }
  return outcome;
}

/**
 * Validates one registry file given as bytes (its name must be one of the four) and installs it atomically in
 * `dir`. Throws on a wrong name or a file that does not parse; the installed copy is then untouched.
 */
export async function installNumberingPlanFile(
  name: string,
  bytes: Uint8Array,
  dir: string,
): Promise<InstalledFile> {
  if (!(NUMBERING_PLAN_FILES as readonly string[]).includes(name)) throw new NotARegistryFileError(name);
  return install(name as NumberingPlanFile, bytes, dir);
}

/** A file whose name is not one of the registry's four. */
export class NotARegistryFileError extends Error {
  constructor(readonly file: string) {
    super(`not a registry file name (expected one of ${NUMBERING_PLAN_FILES.join(', ')})`);
  }
}

function describe(file: NumberingPlanFile, bytes: Uint8Array): InstalledFile {
  const { stats } = parseNumberingPlan(bytes, { source: file });
  return { file, bytes: bytes.byteLength, rows: stats.rows, geographicRows: stats.geographicRows };
}

async function install(file: NumberingPlanFile, bytes: Uint8Array, dir: string): Promise<InstalledFile> {
  const info = describe(file, bytes); // throws GeoDataError on a changed header or a bad row
  const tmp = path.join(dir, `.${file}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path.join(dir, file));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return info;
}
