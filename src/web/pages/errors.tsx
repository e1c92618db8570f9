import type { Context } from 'hono';
import { SwitchboardError } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import type { WebEnv } from '../context.js';
import { ru } from '../i18n/ru.js';
import { Layout } from '../layout.js';

/** A page-level refusal: 403 (another team's lead), 404. */
export class HttpPageError extends Error {
  constructor(readonly status: 403 | 404) {
    super(status === 403 ? 'forbidden' : 'not found');
  }
}

const STATUS: Record<string, 400 | 404 | 409 | 422 | 502> = {
  validation_failed: 400,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  upstream_failed: 502,
};

/** Errors of page routes become a Russian page with the reason; the API keeps its JSON errors. */
export function webErrorHandler(assetVersion: string, log: Logger) {
  return (err: Error, c: Context<WebEnv>) => {
    let status: 400 | 403 | 404 | 409 | 422 | 500 | 502 = 500;
    let message: string = ru.errors.generic;
    if (err instanceof HttpPageError) {
      status = err.status;
      message = err.status === 403 ? ru.errors.forbidden : ru.errors.notFound;
    } else if (err instanceof SwitchboardError && STATUS[err.code]) {
      status = STATUS[err.code]!;
      message = `${ru.errors.failed}: ${err.message}`;
    } else log.error({ err: err.message, path: c.req.path }, 'web page failed');
    const user = c.get('user');
    return c.html(
      <Layout
        title={ru.errors.failed}
        {...(user ? { user, csrf: c.get('csrf') } : {})}
        assetVersion={assetVersion}
      >
        <section class="problem">
          <h1>{status === 403 ? 'Нет доступа' : status === 404 ? 'Не найдено' : ru.errors.failed}</h1>
          <p role="alert">{message}</p>
          <p>
            <a href="/">{ru.lead.back}</a>
          </p>
        </section>
      </Layout>,
      status,
    );
  };
}
