import type { Context } from 'hono';
import { SwitchboardError } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import type { WebEnv } from '../context.js';
import { ru } from '../i18n/ru.js';
import { Layout } from '../layout.js';

/** A page-level refusal: 403 (another team's lead, a stale form), 404; the message is Russian. */
export class HttpPageError extends Error {
  constructor(
    readonly status: 403 | 404,
    readonly russian?: string,
  ) {
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

type PageStatus = 400 | 403 | 404 | 409 | 422 | 500 | 502;

/** The error page in the app's layout: a heading, the reason in Russian, the way back (to the lead if any). */
export function errorPage(
  c: Context<WebEnv>,
  assetVersion: string,
  status: PageStatus,
  message: string,
): Response | Promise<Response> {
  const user = c.get('user');
  const lead = /^\/leads\/([0-9a-f-]{36})\/[a-z]+$/.exec(c.req.path)?.[1];
  const title =
    status === 403 ? ru.errors.forbiddenTitle : status === 404 ? ru.errors.notFoundTitle : ru.errors.failed;
  return c.html(
    <Layout title={title} {...(user ? { user, csrf: c.get('csrf') } : {})} assetVersion={assetVersion}>
      <section class="problem">
        <h1>{title}</h1>
        <p role="alert">{message}</p>
        <p class="row">
          {lead && status !== 403 && status !== 404 ? (
            <a href={`/leads/${lead}`}>{ru.errors.toLead}</a>
          ) : null}
          <a href="/">{ru.lead.back}</a>
        </p>
      </section>
    </Layout>,
    status,
  );
}

/** A service's refusal in Russian: its `details.reason` when it says more than its code, else the code's. */
export function refusalText(err: SwitchboardError, fallback?: string): string {
  const reason = (err.details as { reason?: unknown } | undefined)?.reason;
  return (
    (typeof reason === 'string' ? ru.errors.byReason[reason] : undefined) ??
    fallback ??
    ru.errors.byCode[err.code] ??
    ru.errors.generic
  );
}

/** Errors of page routes become a Russian page with the reason; the API keeps its JSON errors. */
export function webErrorHandler(assetVersion: string, log: Logger) {
  return (err: Error, c: Context<WebEnv>) => {
    let status: PageStatus = 500;
    let message: string = ru.errors.generic;
    if (err instanceof HttpPageError) {
      status = err.status;
      message = err.russian ?? (err.status === 403 ? ru.errors.forbidden : ru.errors.notFound);
    } else if (err instanceof SwitchboardError && STATUS[err.code]) {
      status = STATUS[err.code]!;
      // The service's own words are English and technical (an SMTP error, a field name): the log keeps them.
      message = refusalText(err);
      log.warn({ err: err.message, code: err.code, path: c.req.path }, 'web action refused');
    } else log.error({ err: err.message, path: c.req.path }, 'web page failed');
    return errorPage(c, assetVersion, status, message);
  };
}
