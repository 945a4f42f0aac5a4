// Scopes: create, rename, delete. An entry's scopes decide which agents
// may read it; scope 0000 (owner only) is built in and never granted.

import { h, field, render, button, busy, confirmDialog, alertError, empty, when } from '../dom.js';
import { api } from '../api.js';
import { go } from '../nav.js';

/** The scopes page. */
export async function scopesPage() {
  const { scopes } = await api('GET', '/scopes');
  const name = h('input', { id: 'scope-name', maxlength: '128', autocomplete: 'off', required: true });
  const add = h('button', { type: 'submit', class: 'btn btn-primary', id: 'scope-create', text: 'Create scope' });
  const form = h('form', { class: 'toolbar', id: 'scope-form', novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    if (!name.value.trim()) { alertError('Give the scope a name.'); name.focus(); return; }
    busy(add, 'Creating…', async () => {
      const s = await api('POST', '/scopes', { body: { name: name.value.trim() } });
      go('scopes', `Created scope “${s.name}” (${s.scope_id}).`);
    });
  } }, h('div', { class: 'grow' }, field('New scope name', name)), h('div', { class: 'toolbar-end' }, add));

  const list = h('ul', { class: 'list', id: 'scope-list' }, scopes.map(scopeRow));
  render('Scopes',
    h('p', { class: 'muted', text: 'Put entries into scopes, then grant agents scopes. Entries in no scope, or in Owner only (0000), are never visible to an agent.' }),
    h('div', { class: 'card' }, form),
    scopes.length ? list : empty('No scopes yet.'));
}

function scopeRow(s) {
  const input = h('input', { value: s.name, maxlength: '128', 'aria-label': `Name of scope ${s.scope_id}`, autocomplete: 'off' });
  const rename = button('Rename', () => busy(rename, 'Renaming…', async () => {
    if (!input.value.trim()) throw new Error('A scope needs a name.');
    await api('PUT', `/scopes/${s.scope_id}`, { body: { name: input.value.trim() } });
    go('scopes', `Renamed scope ${s.scope_id}.`);
  }), 'btn btn-small', { 'data-rename': s.scope_id });
  const del = button('Delete', async () => {
    if (!(await confirmDialog('Delete this scope?', `Agents granted “${s.name}” lose it; entries keep the id ${s.scope_id} but no agent reaches them through it.`))) return;
    await busy(del, 'Deleting…', async () => {
      await api('DELETE', `/scopes/${s.scope_id}`);
      go('scopes', `Deleted scope “${s.name}”.`);
    });
  }, 'btn btn-small btn-danger', { 'data-delete': s.scope_id });
  return h('li', { class: 'scope-row' },
    h('span', { class: 'badge mono', text: s.scope_id }), h('span', { class: 'grow' }, input),
    h('span', { class: 'muted small', text: when(s.created_at) }), rename, del);
}
