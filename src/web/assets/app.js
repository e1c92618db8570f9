// Switchboard web app: progressive enhancement only. Every action is a plain form post that works without
// this script; here we add live updates (Server-Sent Events), keyboard shortcuts and the incoming-call card.
// No inline scripts (CSP script-src 'self'); server data is put into the page with textContent only.
(() => {
  const body = document.body;
  const pageTitle = body.dataset.pageTitle || document.title;
  const leadId = body.dataset.liveLead;
  const onInbox = body.dataset.liveInbox === '1';

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function setTitle(unread) {
    document.title = `${unread > 0 ? `(${unread}) ` : ''}${pageTitle} · Switchboard`;
    const count = $('#inbox-unread');
    if (count) {
      count.textContent = unread > 0 ? String(unread) : '';
      count.hidden = unread === 0;
    }
  }

  async function refresh(regionSel, fragment) {
    const region = $(regionSel);
    if (!region) return;
    const url = new URL(location.href);
    url.searchParams.delete('ok');
    url.searchParams.set('fragment', fragment);
    const res = await fetch(url, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    if (!res.ok) return;
    const html = await res.text();
    const focused = document.activeElement?.closest('[data-lead]');
    const focusedId = focused ? focused.dataset.lead : undefined;
    region.innerHTML = html; // our own server-rendered, escaped markup
    if (focusedId) {
      const again = $(`[data-lead="${CSS.escape(focusedId)}"] a`, region);
      if (again) again.focus();
    }
    if (fragment === 'thread') {
      const last = $('#thread li:last-child', region);
      if (last) last.scrollIntoView({ block: 'nearest' });
    }
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  const dismissedCalls = new Set();
  function renderCalls(calls) {
    const card = $('#call-card');
    if (!card) return;
    const call = calls.find((c) => !dismissedCalls.has(c.callId));
    card.replaceChildren();
    if (!call) {
      card.hidden = true;
      return;
    }
    card.setAttribute('aria-label', 'Входящий звонок');
    const head = el('div', 'call-head');
    head.append(
      el('span', 'call-pulse'),
      el('strong', '', call.state === 'answered' ? 'Разговор' : 'Входящий звонок'),
    );
    const close = el('button', 'link', 'Скрыть');
    close.type = 'button';
    close.addEventListener('click', () => {
      dismissedCalls.add(call.callId);
      card.hidden = true;
    });
    head.append(close);
    card.append(head);
    card.append(el('div', 'call-phone', call.phone || 'номер скрыт'));
    if (call.known) {
      card.append(el('div', 'call-name', call.name || 'Без имени'));
      if (call.company) card.append(el('div', 'muted', call.company));
    } else card.append(el('div', 'call-name', 'новый номер'));
    if (call.region) card.append(el('div', 'muted', call.region));
    if (call.lead) card.append(el('div', 'call-deal', `Лид: ${call.lead.label}`));
    if (call.deal)
      card.append(el('div', 'call-deal', `Сделка: ${call.deal.title || ''} · ${call.deal.stage || ''}`));
    if (call.lastMessages?.length) {
      const ul = el('ul', 'plain call-msgs');
      for (const m of call.lastMessages)
        ul.append(el('li', '', `${m.direction === 'in' ? '←' : '→'} ${m.text}`));
      card.append(ul);
    }
    if (call.lead) {
      const a = el('a', 'button primary', 'Открыть лид');
      a.href = `/leads/${call.lead.id}`;
      card.append(a);
    }
    card.hidden = false;
  }

  function connect() {
    if (!window.EventSource || !$('meta[name="csrf-token"]')) return;
    const src = new EventSource(`/events${leadId ? `?lead=${encodeURIComponent(leadId)}` : ''}`);
    src.addEventListener('inbox', (e) => {
      const d = JSON.parse(e.data);
      setTitle(d.unread);
      if (onInbox && !d.first && !new URL(location.href).searchParams.has('before'))
        refresh('#inbox-region', 'list');
    });
    src.addEventListener('lead', (e) => {
      const d = JSON.parse(e.data);
      if (!d.first) refresh('#thread-region', 'thread');
    });
    src.addEventListener('notifications', (e) => {
      const d = JSON.parse(e.data);
      const badge = $('#notif-badge');
      if (badge) {
        badge.textContent = d.unread > 0 ? String(d.unread) : '';
        badge.hidden = d.unread === 0;
      }
    });
    src.addEventListener('calls', (e) => renderCalls(JSON.parse(e.data).calls || []));
  }

  // Forms: Ctrl+Enter sends the reply; a button is disabled once pressed (no double sends);
  // filters apply as soon as they change.
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && t instanceof HTMLTextAreaElement && t.form) {
      e.preventDefault();
      t.form.requestSubmit();
      return;
    }
    const typing =
      t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
    if (typing) {
      if (e.key === 'Escape') t.blur();
      return;
    }
    if (e.key === '/' && $('#search')) {
      e.preventDefault();
      $('#search').focus();
    } else if ((e.key === 'j' || e.key === 'k') && $('#inbox-list')) {
      const links = $$('#inbox-list li a');
      const i = links.indexOf(document.activeElement);
      const next = links[e.key === 'j' ? Math.min(links.length - 1, i + 1) : Math.max(0, i - 1)];
      if (next) next.focus();
    } else if (e.key === 'r' && $('form.reply textarea')) {
      e.preventDefault();
      $('form.reply textarea').focus();
    } else if (e.key === 'Escape' && $('#call-card') && !$('#call-card').hidden) {
      $('#call-card').hidden = true;
    }
  });
  document.addEventListener('submit', (e) => {
    const btn = e.submitter;
    if (btn?.form && btn.form.method === 'post') setTimeout(() => (btn.disabled = true), 0);
  });
  for (const input of $$('form.filters select, form.filters input[type="radio"]'))
    input.addEventListener('change', () => input.form.requestSubmit());
  // An email's sandboxed frame (no scripts inside) grows to its content: same origin, so it can be measured.
  function fitFrame(frame) {
    try {
      const doc = frame.contentDocument;
      // The body's own height (the document's is at least the frame's): the frame shrinks as well as grows.
      if (doc?.body) frame.style.height = `${Math.min(Math.max(doc.body.scrollHeight + 12, 60), 2400)}px`;
    } catch {
      // Not measurable: the frame keeps its CSS height and scrolls.
    }
  }
  document.addEventListener(
    'load',
    (e) => {
      if (e.target instanceof HTMLIFrameElement && e.target.classList.contains('email-frame'))
        fitFrame(e.target);
    },
    true,
  );
  for (const frame of $$('iframe.email-frame'))
    if (frame.contentDocument?.readyState === 'complete') fitFrame(frame);

  // The reply being typed is kept in this tab until it is sent: a failed send, a reload or a crash page
  // never loses it (the server also returns the text with a failed reply).
  const sent = new URL(location.href).searchParams.get('ok') === 'sent';
  for (const area of $$('textarea[data-draft-key]')) {
    const key = `sb-draft:${area.dataset.draftKey}`;
    try {
      if (sent) sessionStorage.removeItem(key);
      else if (!area.value && sessionStorage.getItem(key)) area.value = sessionStorage.getItem(key);
      area.addEventListener('input', () => sessionStorage.setItem(key, area.value));
    } catch {
      // Storage disabled: the server-side draft still covers a refused reply.
    }
  }

  // A flash message fades once read; the ?ok= marker leaves the address bar.
  if (new URL(location.href).searchParams.has('ok')) {
    const u = new URL(location.href);
    u.searchParams.delete('ok');
    history.replaceState(null, '', u);
  }

  setTitle(0);
  connect();
})();
