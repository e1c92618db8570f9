import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while serving one HTTP request carries (through the logger's mixin). */
export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `context` visible to every log line it writes, however deep (processor, lead rules). */
export function withRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * A copy of the current request's context; an empty object outside a request (workers, start, stop). A copy:
 * pino merges each line's fields into what its mixin returns.
 */
export function requestContext(): Partial<RequestContext> {
  const store = storage.getStore();
  return store ? { ...store } : {};
}

/**
 * Runs `fn` outside any request's context: work done for several requests at once (a decision batch) would
 * otherwise log with the id of whichever request happened to start it. Such work names each request itself.
 */
export function outsideRequest<T>(fn: () => T): T {
  return storage.exit(fn);
}
