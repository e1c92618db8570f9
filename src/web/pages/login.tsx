import { getConnInfo } from '@hono/node-server/conninfo';
import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { WebDeps, WebEnv } from '../context.js';
import { ru } from '../i18n/ru.js';
import { Layout } from '../layout.js';
import { DUMMY_HASH, verifyPassword } from '../password.js';
import { createSession, deleteSession, SESSION_TTL_MS } from '../services/sessions.js';
import { SESSION_COOKIE } from '../session.js';

/** Where to go after signing in: only a path on this site (never an open redirect). */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
}

function LoginPage(props: { deps: WebDeps; next: string; login?: string; error?: string }) {
  return (
    <Layout title={ru.login.title} assetVersion={props.deps.assetVersion}>
      <section class="login">
        <h1>{ru.app}</h1>
        <p class="muted">{ru.login.hint}</p>
        {props.error ? (
          <p class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/login">
          <input type="hidden" name="next" value={props.next} />
          <label>
            {ru.login.login}
            <input name="login" autocomplete="username" required autofocus value={props.login ?? ''} />
          </label>
          <label>
            {ru.login.password}
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button type="submit" class="primary">
            {ru.login.submit}
          </button>
        </form>
      </section>
    </Layout>
  );
}

function clientAddress(c: Parameters<typeof getConnInfo>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // app.request() in tests has no socket
  }
}

export function registerLogin(web: Hono<WebEnv>, deps: WebDeps): void {
  const secure = deps.config.server.publicUrl.startsWith('https:');

  web.get('/login', (c) => c.html(<LoginPage deps={deps} next={safeNext(c.req.query('next'))} />));

  web.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const login = String(body.login ?? '')
      .trim()
      .toLowerCase();
    const password = String(body.password ?? '');
    const next = safeNext(typeof body.next === 'string' ? body.next : undefined);
    const now = deps.clock().getTime();
    const keys = [`login:${login}`, `ip:${clientAddress(c)}`];
    if (!(await deps.throttle.allowed(keys, now)))
      return c.html(<LoginPage deps={deps} next={next} login={login} error={ru.login.throttled} />, 429);
    const manager = deps.config.managers.find((m) => m.login.toLowerCase() === login && m.active);
    // The same scrypt cost whether or not the login exists: timing does not reveal who works here.
    const ok = await verifyPassword(password, manager?.password ?? DUMMY_HASH);
    if (!manager?.password || !ok) {
      await deps.throttle.failed(keys, now);
      deps.log.info({ event: 'web.login_failed' }, 'web sign-in refused');
      return c.html(<LoginPage deps={deps} next={next} login={login} error={ru.login.wrong} />, 401);
    }
    await deps.throttle.succeeded(keys);
    const { token } = await createSession(deps.sql, manager.login, deps.clock());
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Lax', // Lax, not Strict: an alert link opened from Telegram or mail arrives signed in
      secure,
      path: '/',
      maxAge: Math.floor(SESSION_TTL_MS / 1000),
    });
    deps.log.info({ event: 'web.login', login: manager.login }, 'web sign-in');
    return c.redirect(next, 303);
  });

  web.post('/logout', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await deleteSession(deps.sql, token);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure });
    return c.redirect('/login', 303);
  });
}
