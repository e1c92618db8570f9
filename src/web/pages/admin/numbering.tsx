import type { Hono } from 'hono';
import { GeoDataError } from '../../../geo/errors.js';
import { NotARegistryFileError } from '../../../geo/update.js';
import type { WebContext, WebDeps, WebEnv } from '../../context.js';
import { formatExact } from '../../format.js';
import { ru } from '../../i18n/ru.js';
import { PostForm } from '../../layout.js';
import { teamTimeZone } from '../../services/users.js';
import { adminPage } from './frame.js';

const t = ru.admin.numbering;

/** «Нумерация»: the numbering plan's state, a registry file upload (validated before it is installed), re-read. */
export function registerAdminNumbering(web: Hono<WebEnv>, deps: WebDeps): void {
  const render = (c: WebContext, o: { flash?: string; error?: string; status?: 200 | 400 | 422 } = {}) => {
    const plan = deps.numberingPlan;
    const tz = teamTimeZone(deps.config, c.get('user'));
    const csrf = c.get('csrf');
    if (!plan) return adminPage(c, deps, { tab: 'numbering', children: <p class="empty">{t.noService}</p> });
    const s = plan.status();
    const src = plan.source();
    const when = (iso: string | undefined) => (iso ? formatExact(new Date(iso), tz) : '—');
    return adminPage(c, deps, {
      tab: 'numbering',
      flash: o.flash,
      error: o.error,
      ...(o.status ? { status: o.status } : {}),
      children: (
        <>
          <p class="muted">{t.intro}</p>
          <dl class="facts">
            <dt>{t.state}</dt>
            <dd>
              <span class={`state ${s.state === 'loaded' ? 'state-ok' : 'state-error'}`}>
                {t.states[s.state]}
              </span>
            </dd>
            {s.state === 'rejected' && s.reason ? (
              <>
                <dt>{t.reason}</dt>
                <dd class="err-text">{s.reason}</dd>
              </>
            ) : null}
            <dt>{t.files}</dt>
            <dd>{s.files.length > 0 ? s.files.join(', ') : '—'}</dd>
            <dt>{t.rows}</dt>
            <dd>{s.rows !== undefined ? s.rows.toLocaleString('ru-RU') : '—'}</dd>
            <dt>{t.ranges}</dt>
            <dd>{s.ranges.toLocaleString('ru-RU')}</dd>
            <dt>{t.filesDate}</dt>
            <dd>{when(s.filesDate)}</dd>
            <dt>{t.loadedAt}</dt>
            <dd>{when(s.loadedAt)}</dd>
            <dt>{t.dir}</dt>
            <dd>
              <code>{src.dir}</code>
            </dd>
            <dt>{t.source}</dt>
            <dd>{src.refreshHours > 0 ? t.auto(src.refreshHours, src.baseUrl) : t.manual}</dd>
          </dl>
          <h2>{t.upload}</h2>
          <form
            method="post"
            action="/admin/numbering/upload"
            enctype="multipart/form-data"
            class="stack upload"
          >
            <input type="hidden" name="_csrf" value={csrf} />
            <label>
              {t.file}
              <input type="file" name="file" accept=".csv,text/csv" required />
            </label>
            <p class="muted small">{t.uploadHint}</p>
            <div>
              <button type="submit" class="primary">
                {t.uploadSubmit}
              </button>
            </div>
          </form>
          <PostForm action="/admin/numbering/reload" csrf={csrf}>
            <button type="submit">{t.reload}</button>
          </PostForm>
        </>
      ),
    });
  };

  web.get('/admin/numbering', (c) => {
    const file = c.req.query('installed');
    const rows = Number(c.req.query('rows'));
    const flash =
      c.req.query('ok') === 'reloaded'
        ? t.reloaded
        : file && Number.isFinite(rows)
          ? t.installed(file, rows)
          : undefined;
    return render(c, flash ? { flash } : {});
  });

  web.post('/admin/numbering/reload', async (c) => {
    await deps.numberingPlan?.load();
    return c.redirect('/admin/numbering?ok=reloaded', 303);
  });

  web.post('/admin/numbering/upload', async (c) => {
    const plan = deps.numberingPlan;
    if (!plan) return render(c, { error: t.noService, status: 422 });
    const body = await c.req.parseBody();
    const file = body.file;
    if (!(file instanceof File) || file.size === 0) return render(c, { error: t.noFile, status: 400 });
    const name = file.name.split(/[\\/]/).pop() ?? '';
    try {
      const installed = await plan.install(name, new Uint8Array(await file.arrayBuffer()));
      deps.log.info(
        { file: installed.file, rows: installed.rows, actor: `web:${c.get('user').login}` },
        'numbering plan file installed',
      );
      return c.redirect(
        `/admin/numbering?installed=${encodeURIComponent(installed.file)}&rows=${installed.rows}`,
        303,
      );
    } catch (err) {
      if (err instanceof NotARegistryFileError) return render(c, { error: t.badName(name), status: 400 });
      if (err instanceof GeoDataError) {
        const why = [t.geo[err.code] ?? err.code, err.line !== undefined ? t.line(err.line) : null];
        return render(c, { error: t.badContent(why.filter(Boolean).join(', ')), status: 400 });
      }
      throw err;
    }
  });
}
