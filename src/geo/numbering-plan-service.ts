import type { Logger } from '../observability/logger.js';
import { loadNumberingPlan } from './load-numbering-plan.js';
import { createPhoneRegionResolver, type PhoneRegionResolver } from './phone-region.js';
import { type DownloadOptions, downloadNumberingPlan } from './update.js';

export interface NumberingPlanServiceOptions {
  dir: string;
  log: Logger;
  /** Re-download and reload every N hours; 0 = never. */
  refreshHours: number;
  download: Omit<DownloadOptions, 'dir'>;
}

/**
 * Holds the phone-region resolver the router uses. `load()` reads the registry files from `dir` into an
 * in-memory index; without them (or with a broken file) the daemon keeps running on landline area codes and
 * logs a warning. `start()` schedules the optional periodic download + reload; `stop()` cancels it.
 */
export function createNumberingPlanService(opts: NumberingPlanServiceOptions) {
  let resolver: PhoneRegionResolver = createPhoneRegionResolver();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function load(): Promise<boolean> {
    try {
      const plan = await loadNumberingPlan(opts.dir);
      if (!plan) {
        opts.log.warn(
          { dir: opts.dir },
          'numbering plan files not found: mobile numbers get no region (landline area codes still work); run `npm run geo:download` or `npm run geo:import`',
        );
        return false;
      }
      resolver = createPhoneRegionResolver({ index: plan.index });
      const { files, rows, geographicRows, unresolvedRows, unknownSpellings } = plan.stats;
      opts.log.info({ files, rows, geographicRows, unresolvedRows }, 'numbering plan loaded');
      if (unknownSpellings.length > 0)
        opts.log.warn(
          { unknownSpellings: unknownSpellings.slice(0, 10) },
          'numbering plan: unknown region spellings',
        );
      return true;
    } catch (err) {
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

  return {
    /** The current resolver (replaced atomically on reload). */
    resolver: (): PhoneRegionResolver => resolver,
    load,
    refresh,
    start(): void {
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
      timer = undefined;
      await running;
    },
  };
}

export type NumberingPlanService = ReturnType<typeof createNumberingPlanService>;
