// One entry: fields decrypted in the page (L2 with K2, L3 with K3), secrets
// masked until revealed, copy buttons, live TOTP codes, edit and delete.

import { h, render, button, linkButton, copyText, confirmDialog, busy, when } from '../dom.js';
import { api } from '../api.js';
import { go, onLeave } from '../nav.js';
import { typeLabel } from '../fieldspec.js';
import { openFields, safeHref, agentNames, agentMade, creatorText } from '../entrydoc.js';
import { parseTotp, totpCode, secondsLeft } from '../totp.js';

const MASK = '••••••••••';

/** Shows one entry. */
export async function entryViewPage(id) {
  const [entry, scopes] = await Promise.all([api('GET', `/entries/${id}`), api('GET', '/scopes')]);
  const fields = await openFields(entry);
  const names = agentMade(entry) ? await agentNames(api) : new Map();
  const scopeName = (s) => (s === '0000' ? 'Owner only' : scopes.scopes.find((x) => x.scope_id === s)?.name || s);

  const meta = h('dl', { class: 'meta' },
    h('dt', { text: 'Type' }), h('dd', { text: typeLabel(entry.type) }),
    entry.folder ? [h('dt', { text: 'Folder' }), h('dd', { text: entry.folder })] : null,
    h('dt', { text: 'Scopes' }), h('dd', { text: entry.scopes.length ? entry.scopes.map(scopeName).join(', ') : 'None (no agent can read it)' }),
    h('dt', { text: 'Created by' }), h('dd', { id: 'entry-created-by', text: creatorText(entry.created_by, names) }),
    h('dt', { text: 'Updated' }), h('dd', { text: when(entry.updated_at) }));
  // An agent's entry may imitate one of the owner's (same title): say so plainly.
  const agentWarning = agentMade(entry)
    ? h('p', { class: 'warn', id: 'agent-made', role: 'note', text: `${creatorText(entry.created_by, names)} created this entry, not you. Check it before you trust its values.` })
    : null;

  const urls = (entry.urls || []).length
    ? h('section', { 'aria-labelledby': 'urls-h' }, h('h2', { id: 'urls-h', text: 'Web addresses' }),
      h('ul', { class: 'plain' }, entry.urls.map((u) => {
        const href = safeHref(u);
        return h('li', {}, href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer', text: u }) : h('span', { text: u }));
      })))
    : null;

  const rows = h('dl', { class: 'fields', id: 'entry-fields' }, fields.map(fieldRow));
  const notes = entry.notes
    ? h('section', { 'aria-labelledby': 'notes-h' }, h('h2', { id: 'notes-h', text: 'Notes' }), h('p', { class: 'notes', text: entry.notes }))
    : null;

  const del = button('Delete', async () => {
    if (!(await confirmDialog('Delete this entry?', `“${entry.title}” will be deleted. Agents lose access at once.`))) return;
    await busy(del, 'Deleting…', async () => {
      await api('DELETE', `/entries/${id}`);
      go('entries', `Deleted “${entry.title}”.`);
    });
  }, 'btn btn-danger', { id: 'entry-delete' });

  render(entry.title,
    h('p', { class: 'crumbs' }, h('a', { href: '#/entries', text: '← All entries' })),
    h('div', { class: 'card' },
      agentWarning,
      meta,
      fields.length ? rows : h('p', { class: 'muted', text: 'No fields.' }),
      urls, notes,
      h('div', { class: 'actions' }, linkButton('Edit', `#/entries/${id}/edit`, 'btn btn-primary'), del)));
}

/** One field: label, value (masked for secrets), reveal and copy. */
function fieldRow(f) {
  const secret = f.tier !== 'l1' || f.kind === 'secret';
  const dt = h('dt', { text: f.label || f.name, id: `label-${f.name}` });
  if (f.plain === null) {
    return [dt, h('dd', { class: 'error-text', text: `Cannot decrypt this value (${f.error}).` })];
  }
  if (f.kind === 'totp') return [dt, h('dd', {}, totpWidget(f))];
  const value = h('span', { class: `value${f.kind === 'multiline' ? ' pre' : ''}${secret ? ' mono' : ''}`, id: `value-${f.name}`, text: secret ? MASK : f.plain });
  const controls = [];
  if (secret) {
    const reveal = button('Reveal', () => {
      const shown = reveal.getAttribute('aria-pressed') === 'true';
      value.textContent = shown ? MASK : f.plain;
      reveal.setAttribute('aria-pressed', String(!shown));
      reveal.textContent = shown ? 'Reveal' : 'Hide';
    }, 'btn btn-small', { 'aria-pressed': 'false', 'aria-label': `Reveal ${f.label || f.name}`, 'data-reveal': f.name });
    controls.push(reveal);
  }
  controls.push(button('Copy', () => copyText(f.plain, f.label || f.name), 'btn btn-small', { 'aria-label': `Copy ${f.label || f.name}`, 'data-copy': f.name }));
  return [dt, h('dd', { class: 'field-value' }, value, h('span', { class: 'field-actions' }, controls))];
}

/** A live TOTP code with its countdown; the timer stops when the page is left. */
function totpWidget(f) {
  let t;
  try { t = parseTotp(f.plain); } catch (e) { return h('span', { class: 'error-text', text: `Not a usable TOTP secret: ${e.message}` }); }
  const code = h('span', { class: 'value mono totp', id: `value-${f.name}`, text: '······' });
  const left = h('span', { class: 'muted', 'aria-hidden': 'true' });
  let current = '';
  const tick = async () => {
    const now = Date.now() / 1000;
    current = await totpCode(t, now);
    code.textContent = `${current.slice(0, Math.ceil(current.length / 2))} ${current.slice(Math.ceil(current.length / 2))}`;
    left.textContent = `${secondsLeft(t, now)} s`;
  };
  tick();
  const timer = setInterval(tick, 1000);
  onLeave(() => clearInterval(timer));
  return h('span', { class: 'field-value' }, code, left,
    h('span', { class: 'field-actions' }, button('Copy', () => copyText(current, 'One-time code'), 'btn btn-small', { 'aria-label': 'Copy one-time code', 'data-copy': f.name })));
}
