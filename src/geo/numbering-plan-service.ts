import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import { loadNumberingPlan } from './load-numbering-plan.js';
import { NUMBERING_PLAN_FILES } from './numbering-plan.js';
import { createPhoneRegionResolver, type PhoneRegionResolver } from './phone-region.js';
import {
  type DownloadOptions,
  downloadNumberingPlan,
  type InstalledFile,
  installNumberingPlanFile,
} from './update.js';

export interface NumberingPlanServiceOptions {
  dir: string;
  log: Logger;
  /** Re-download and reload every N hours; 0 = never. */
  refreshHours: number;
  download: Omit<DownloadOptions, 'dir'>;
  /** Look at the files' modification times this often and reload when they change (`geo:import`); 0 = never. */
  checkIntervalMs?: number;
  /** Where `switchboard_numbering_plan_loaded` and `switchboard_numbering_plan_ranges` are registered. */
  registry?: Registry;
}

/** What /readyz shows. `missing` and `rejected` mean mobile numbers get no region: the daemon is degraded. */
export interface NumberingPlanStatus {
  state: 'loaded' | 'missing' | 'rejected';
  /** Why it is not loaded (no personal data: a directory and a parser message). */
  reason?: string;
  files: string[];
  ranges: number;
  /** Rows read from the files (loaded only). */
  rows?: number;
  /** When the index in use was built (ISO). */
  loadedAt?: string;
  /** The newest modification time of the loaded files (ISO): the registry's date as installed here. */
  filesDate?: string;
}

/** Where the plan comes from, for the admin page: the directory read and the download source, if any. */
export interface NumberingPlanSource {
  dir: string;
  /** Downloaded and reloaded every N hours from `baseUrl` (0: only by hand, `geo:download` / `geo:import`). */
  refreshHours: number;
  baseUrl: string;
}

/**
 * Holds the phone-region resolver the router uses. `load()` reads the registry files from `dir` into an
 * in-memory index; without them (or with a broken file) the daemon keeps running on landline area codes and
 * logs a warning. `start()` schedules the optional periodic download + reload; `stop()` cancels it.
 */
export function createNumberingPlanService(opts: NumberingPlanServiceOptions) {
  let resolver: PhoneRegionResolver = createPhoneRegionResolver();
  let timer: NodeJS.Timeout | undefined;
  let watcher: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let current: NumberingPlanStatus = { state: 'missing', reason: 'not loaded yet', files: [], ranges: 0 };
  let loadedSignature: string | undefined;
  const gauge = (name: string, help: string) =>
    opts.registry ? new Gauge({ name, help, registers: [opts.registry] }) : undefined;
  const loaded = gauge(
    'switchboard_numbering_plan_loaded',
    '1 when the numbering plan is loaded; 0 when missing or rejected (mobile numbers get no region)',
  );
  const ranges = gauge(
    'switchboard_numbering_plan_ranges',
    'Number ranges in the loaded numbering plan index',
  );
  loaded?.set(0);
  ranges?.set(0);

  function setStatus(next: NumberingPlanStatus): void {
    current = next;
    loaded?.set(next.state === 'loaded' ? 1 : 0);
    ranges?.set(next.ranges);
  }

  async function newestFileDate(files: readonly string[]): Promise<string | undefined> {
    const times = await Promise.all(
      files.map((f) =>
        stat(path.join(opts.dir, f)).then(
          (st) => st.mtimeMs,
          () => 0,
        ),
      ),
    );
    const newest = Math.max(0, ...times);
    return newest > 0 ? new Date(newest).toISOString() : undefined;
  }

  /** Names, sizes and modification times of the files: changes when `geo:import` installs new ones. */
  async function signature(): Promise<string> {
    const parts = await Promise.all(
      NUMBERING_PLAN_FILES.map(async (file) => {
        const st = await stat(path.join(opts.dir, file)).catch(() => undefined);
        return st ? `${file}:${st.size}:${st.mtimeMs}` : '';
      }),
    );
    return parts.join('|');
  }

  async function load(): Promise<boolean> {
    const sig = await signature();
    try {
      const plan = await loadNumberingPlan(opts.dir);
      loadedSignature = sig;
      if (!plan) {
        // A previously loaded index stays in use if the files disappear; only a daemon without one is degraded.
        if (current.state !== 'loaded')
          setStatus({
            state: 'missing',
            reason: 'numbering plan files not found: mobile numbers get no region (run `npm run geo:import`)',
            files: [],
            ranges: 0,
          });
        opts.log.warn(
          { dir: opts.dir },
          'numbering plan files not found: mobile numbers get no region (landline area codes still work); run `npm run geo:download` or `npm run geo:import`',
        );
        return false;
      }
      resolver = createPhoneRegionResolver({ index: plan.index });
      const { files, rows, geographicRows, unresolvedRows, unknownSpellings } = plan.stats;
      const filesDate = await newestFileDate(files);
      setStatus({
        state: 'loaded',
        files,
        ranges: plan.index.stats.inputRanges,
        rows,
        loadedAt: new Date().toISOString(),
        ...(filesDate ? { filesDate } : {}),
      });
      opts.log.info({ files, rows, geographicRows, unresolvedRows }, 'numbering plan loaded');
      if (unknownSpellings.length > 0)
        opts.log.warn(
          { unknownSpellings: unknownSpellings.slice(0, 10) },
          'numbering plan: unknown region spellings',
        );
      return true;
    } catch (err) {
      loadedSignature = sig;
      if (current.state !== 'loaded')
        setStatus({ state: 'rejected', reason: (err as Error).message, files: [], ranges: 0 });
      opts.log.error(
        { dir: opts.dir, err: (err as Error).message },
        'numbering plan rejected: keeping the previous index (area codes only if none)',
      );
      return false;
    }
  }

  async function refresh(): Promise<void> {
    const outcome = await downloadNumberingPlan({ ...opts.download, dir: opts.dir });
    for (const f of outcome.failed)
      opts.log.warn({ file: f.file, err: f.error }, 'numbering plan download failed');
    if (outcome.installed.length > 0) {
      opts.log.info({ files: outcome.installed.map((f) => f.file) }, 'numbering plan downloaded');
      await load();
    }
  }

  /** Reloads when the files changed since the last load (a `geo:import` while running). */
  async function checkForChanges(): Promise<boolean> {
    if ((await signature()) === loadedSignature) return false;
    await load();
    return true;
  }

  return {
    /** The current resolver (replaced atomically on reload). */
    resolver: (): PhoneRegionResolver => resolver,
    status: (): NumberingPlanStatus => current,
    source: (): NumberingPlanSource => ({
      dir: opts.dir,
      refreshHours: opts.refreshHours,
      baseUrl: opts.download.baseUrl,
    }),
    /**
     * Validates one registry file (name and every row) and installs it atomically, then reloads the index: the
     * admin page's upload. A bad file throws (GeoDataError, or an Error for a wrong name) and changes nothing.
     */
    async install(file: string, bytes: Uint8Array): Promise<InstalledFile> {
      await mkdir(opts.dir, { recursive: true });
      const installed = await installNumberingPlanFile(file, bytes, opts.dir);
      await load();
      return installed;
    },
    load,
    refresh,
    checkForChanges,
    start(): void {
      const every = opts.checkIntervalMs ?? 0;
      if (every > 0 && !watcher) {
        watcher = setInterval(() => {
          running ??= checkForChanges()
            .then(() => undefined)
            .catch((err: Error) => opts.log.error({ err: err.message }, 'numbering plan check failed'))
            .finally(() => {
              running = undefined;
            });
        }, every);
        watcher.unref();
      }
      if (opts.refreshHours <= 0 || timer) return;
      timer = setInterval(() => {
        running ??= refresh()
          .catch((err: Error) => opts.log.error({ err: err.message }, 'numbering plan refresh failed'))
          .finally(() => {
            running = undefined;
          });
      }, opts.refreshHours * 3_600_000);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      if (watcher) clearInterval(watcher);
      timer = watcher = undefined;
      await running;
    },
  };
}

export type NumberingPlanService = ReturnType<typeof createNumberingPlanService>;
