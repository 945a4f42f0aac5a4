// The entry list: search (title, folder, URLs, type; filtered in the page),
// a type filter, and links to each entry. Entries an agent created carry a
// badge naming the agent, so a look-alike of the owner's entry (same title,
// planted by an agent with can_write) is told apart at a glance.

import { h, field, render, linkButton, empty, when } from '../dom.js';
import { api } from '../api.js';
import { userTypes, typeLabel } from '../fieldspec.js';
import { hostOf, agentNames, agentMade, creatorText } from '../entrydoc.js';

/** The list of entries. */
export async function entriesPage() {
  const { entries } = await api('GET', '/entries');
  const names = entries.some(agentMade) ? await agentNames(api) : new Map();
  const search = h('input', { type: 'search', id: 'entry-search', placeholder: 'Title, folder or web address', autocomplete: 'off' });
  const type = h('select', { id: 'entry-type' },
    h('option', { value: '', text: 'All types' }),
    userTypes().map((t) => h('option', { value: t.name, text: typeLabel(t.name) })));
  const count = h('p', { class: 'muted', id: 'entry-count', 'aria-live': 'polite' });
  const list = h('ul', { class: 'list', id: 'entry-list' });

  const sorted = [...entries].sort((a, b) => (b.favorite - a.favorite) || a.title.localeCompare(b.title));
  const show = () => {
    const q = search.value.trim().toLowerCase();
    const rows = sorted.filter((e) => (!type.value || e.type === type.value)
      && (!q || e.title.toLowerCase().includes(q) || (e.folder || '').toLowerCase().includes(q)
        || (e.urls || []).some((u) => u.toLowerCase().includes(q))));
    list.replaceChildren(...rows.map((e) => row(e, names)));
    const n = (k) => `${k} ${k === 1 ? 'entry' : 'entries'}`;
    count.textContent = rows.length === entries.length ? n(entries.length) : `${rows.length} of ${n(entries.length)}`;
  };
  search.addEventListener('input', show);
  type.addEventListener('change', show);
  show();

  render('Entries',
    h('div', { class: 'toolbar' },
      h('div', { class: 'grow' }, field('Search', search)),
      field('Type', type),
      h('div', { class: 'toolbar-end' }, linkButton('New entry', '#/entries/new', 'btn btn-primary'))),
    count,
    entries.length ? list : empty('No entries yet. Add one, or import from another password manager.'));
  if (entries.length) search.focus();
}

function row(e, names) {
  const host = hostOf((e.urls || [])[0] || '');
  const byAgent = agentMade(e)
    ? h('span', { class: 'badge badge-agent', 'data-created-by': e.created_by.agent_id, text: `Created by ${creatorText(e.created_by, names).replace(/^Agent/, 'agent')}` })
    : null;
  return h('li', { 'data-entry': e.entry_id },
    h('a', { href: `#/entries/${e.entry_id}`, class: 'row-link' },
      h('span', { class: 'badge', text: typeLabel(e.type) }),
      h('span', { class: 'row-main' },
        h('span', { class: 'row-head' },
          h('span', { class: 'row-title', text: (e.favorite ? '★ ' : '') + e.title }),
          byAgent),
        h('span', { class: 'row-sub muted', text: [e.folder, host].filter(Boolean).join(' · ') || ' ' })),
      h('span', { class: 'row-end muted', text: when(e.updated_at) })));
}
