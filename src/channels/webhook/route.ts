/** A provider's request as a webhook route sees it: the body read once, within the body limit. */
export interface WebhookRequest {
  /** The `:account` path segment: which configured account of the channel is called. */
  account: string;
  /** The route's other path parameters (e.g. `event` in `/events/:event`). */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  header(name: string): string | undefined;
  contentType: string | undefined;
  /** The body exactly as received. */
  body: Uint8Array;
  /** The body decoded as UTF-8 (decoded once, on first use). */
  text(): string;
}

/** The answer in the provider's own format. */
export interface WebhookResponse {
  status: number;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as text/plain (VK's confirmation string, "ok"). */
  text?: string;
  headers?: Record<string, string>;
}

/**
 * The outcome of authenticating a request. `ok: false` answers at once with `status` (401/403 for a wrong
 * token or signature, 404 for an unknown account) and stores nothing; `reason` is logged (never a secret,
 * never personal data). `ok: true` may carry what verification already parsed, handed to `handle`.
 */
export type Verdict<T> =
  | { ok: true; value: T }
  | { ok: false; status: number; reason: string; response?: WebhookResponse };

/**
 * One webhook endpoint of a channel, mounted at `/webhooks/<channel>/:account<path>`. `verify` runs first;
 * `handle` stores the payload through the intake before it answers (store-before-acknowledge).
 */
export interface WebhookRoute<T = unknown> {
  method: 'POST' | 'GET';
  /** Relative to `/webhooks/<channel>/:account`: '' or e.g. '/events/:event' (Hono path syntax). */
  path: string;
  verify(req: WebhookRequest): Verdict<T> | Promise<Verdict<T>>;
  handle(req: WebhookRequest, verified: T): Promise<WebhookResponse>;
}

/** Declares a route, keeping `verify`'s result type for `handle`. */
export function webhookRoute<T>(route: WebhookRoute<T>): WebhookRoute {
  return route as unknown as WebhookRoute;
}

/** Verification for endpoints that need none (a provider's connection check). */
export const unverified = (): Verdict<undefined> => ({ ok: true, value: undefined });

/** A refusal: answered with `status` and `{ error: message }` (or the given body), logged with `reason`. */
export function refuse(status: number, reason: string, message = reason): Verdict<never> {
  return { ok: false, status, reason, response: { status, json: { error: message } } };
}

/** The account in the URL is not configured for this channel. */
export const unknownAccount = (): Verdict<never> => refuse(404, 'unknown account', 'Unknown account');
