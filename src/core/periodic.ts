/**
 * A background pass run every `intervalMs` and on demand (`kick`), never two at once; `stop()` waits for the
 * pass in flight. Failures go to `onError` (the next pass tries again).
 */
export function periodic(run: () => Promise<unknown>, intervalMs: number, onError: (err: unknown) => void) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  const kick = () => {
    if (stopped || running) return;
    running = run()
      .catch(onError)
      .finally(() => {
        running = undefined;
      });
  };
  return {
    kick,
    start() {
      stopped = false;
      timer = setInterval(kick, intervalMs);
      timer.unref();
      kick();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
