// The audit log: per-agent activity charts (activity.js), filter (agent,
// entry, action, outcome, time), page with the server's `next` cursor, and
// verify the hash chain. Rows hold ids only; names and titles are looked up
// here, in the page.

import { h, field, render, button, busy, status, alertError, empty, when } from '../dom.js';
import { api } from '../api.js';
import { vault, onChange } from '../session.js';
import { activityPanel } from './activity.js';

/**
 * Chain heads ({pop_id, seq, hash}) this tab verified, per vault id, for
 * the unlocked session only: in memory, never in storage, forgotten on
 * lock. A later verification must find the same hash at each of these
 * seqs — rows removed from the end of a chain leave a chain that verifies
 * on its own.
 */
const verifiedHeads = new Map();
onChange((v) => { if (!v) verifiedHeads.clear(); });

/** The first head verified before that the server's answer no longer holds, as a message; '' if none. */
function lostHead(known, anchors) {
  for (const k of known) {
    const a = (anchors || []).find((x) => x.pop_id === k.pop_id && x.seq === k.seq);
    if (a && a.hash === k.hash) continue;
    if (a && a.hash) return `The audit log was rewritten: row ${k.seq} of ${k.pop_id}, verified earlier in this session, no longer has the same hash.`;
    return `The audit log was cut short: the chain of ${k.pop_id} no longer reaches row ${k.seq}, the last one verified in this session. Rows were removed.`;
  }
  return '';
}

const ACTIONS = ['read', 'create', 'update', 'delete', 'session', 'vault_create', 'revoke_all', 'unlock_method_put', 'unlock_method_delete', 'unlock_open',
  'agent_create', 'agent_update', 'agent_rotate', 'agent_unlock', 'agent_delete', 'scope_create', 'scope_update', 'scope_delete', 'authenticate', 'owner_route', 'list'];

/** RFC 3339 of a datetime-local value, or ''. */
function rfc(v) { return v ? new Date(v).toISOString() : ''; }

/** The datetime-local value (local time, minutes) of a Date. */
function localInput(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The audit page. */
export async function auditPage() {
  const [{ agents }, { entries }] = await Promise.all([api('GET', '/agents'), api('GET', '/entries')]);
  const agentName = new Map(agents.map((a) => [a.agent_id, a.name]));
  const title = new Map(entries.map((e) => [e.entry_id, e.title]));

  const actor = h('select', { id: 'audit-actor' }, h('option', { value: '', text: 'Anyone' }), agents.map((a) => h('option', { value: a.agent_id, text: a.name })));
  const entry = h('select', { id: 'audit-entry' }, h('option', { value: '', text: 'Any entry' }),
    [...entries].sort((a, b) => a.title.localeCompare(b.title)).map((e) => h('option', { value: e.entry_id, text: e.title })));
  const action = h('select', { id: 'audit-action' }, h('option', { value: '', text: 'Any action' }), ACTIONS.map((a) => h('option', { value: a, text: a.replace(/_/g, ' ') })));
  const outcome = h('select', { id: 'audit-outcome' }, h('option', { value: '', text: 'Any outcome' }), ['success', 'denied', 'failure'].map((o) => h('option', { value: o, text: o })));
  const perPage = h('select', { id: 'audit-limit' }, ['10', '50', '100', '500'].map((n) => h('option', { value: n, text: n, selected: n === '50' })));
  const since = h('input', { id: 'audit-since', type: 'datetime-local' });
  const until = h('input', { id: 'audit-until', type: 'datetime-local' });

  const tbody = h('tbody', { id: 'audit-rows' });
  const table = h('table', { class: 'table', id: 'audit-table' },
    h('caption', { class: 'sr-only', text: 'Audit events, newest first' }),
    h('thead', {}, h('tr', {}, ['Time', 'Who', 'Action', 'Entry', 'Outcome', 'Reason', 'Source', 'Destination'].map((t) => h('th', { scope: 'col', text: t })))),
    tbody);
  const pageInfo = h('p', { class: 'muted', id: 'audit-page', 'aria-live': 'polite' });
  const newer = button('← Newer', () => { cursors.pop(); load(); }, 'btn btn-small', { id: 'audit-newer' });
  const older = button('Older →', () => { cursors.push(next); load(); }, 'btn btn-small', { id: 'audit-older' });
  /** `before` cursors of the pages above the current one (the first page has none). */
  const cursors = [null];
  let next = null;

  const who = (ev) => (ev.actor_kind === 'owner' ? 'Owner' : ev.actor_kind === 'agent' ? `Agent ${agentName.get(ev.actor_id) || ev.actor_id.slice(0, 8)}` : ev.actor_kind);
  const what = (id) => (!id ? '' : title.get(id) || agentName.get(id) || `${id.slice(0, 8)}…`);

  async function load() {
    const q = new URLSearchParams({ limit: perPage.value });
    for (const [k, el] of [['actor', actor], ['entry', entry], ['action', action], ['outcome', outcome]]) if (el.value) q.set(k, el.value);
    if (since.value) q.set('since', rfc(since.value));
    if (until.value) q.set('until', rfc(until.value));
    const before = cursors[cursors.length - 1];
    if (before) q.set('before', before);
    const { events, next: n } = await api('GET', `/audit?${q}`);
    next = n;
    tbody.replaceChildren(...events.map((ev) => h('tr', { class: ev.outcome === 'success' ? '' : 'row-refused' },
      h('td', { 'data-label': 'Time', text: when(ev.time) }),
      h('td', { 'data-label': 'Who', text: who(ev) }),
      h('td', { 'data-label': 'Action', text: ev.action.replace(/_/g, ' ') }),
      h('td', { 'data-label': 'Entry', text: what(ev.entry_id) }),
      h('td', { 'data-label': 'Outcome' }, h('span', { class: `pill pill-${ev.outcome}`, text: ev.outcome }),
        (ev.count || 1) > 1 ? h('span', { class: 'muted small audit-count', title: 'Repeated refusals counted in one row', text: ` ×${ev.count}` }) : null),
      h('td', { 'data-label': 'Reason', text: ev.reason || '' }),
      h('td', { 'data-label': 'Source' }, h('span', { class: 'mono small', text: ev.source_ip || '' })),
      // The host a clavitor:// reference was resolved for (brokered requests, the proxy).
      h('td', { 'data-label': 'Destination', class: 'audit-host' }, h('span', { class: 'mono small', text: ev.host || '' })))));
    if (!events.length) tbody.append(h('tr', {}, h('td', { colspan: '8' }, empty('No events match.'))));
    newer.disabled = cursors.length <= 1;
    older.disabled = !next;
    pageInfo.textContent = `Page ${cursors.length}: ${events.length} ${events.length === 1 ? 'event' : 'events'}${next ? '' : ' (oldest reached)'}.`;
  }

  const apply = h('button', { type: 'submit', class: 'btn btn-primary', id: 'audit-apply', text: 'Apply filters' });
  const filters = h('form', { class: 'filters', id: 'audit-filters', onsubmit: (ev) => {
    ev.preventDefault();
    cursors.length = 1;
    busy(apply, 'Loading…', async () => { await load(); status(''); });
  } },
  field('Agent', actor), field('Entry', entry), field('Action', action), field('Outcome', outcome), field('Since', since), field('Until', until), field('Rows per page', perPage),
  h('div', { class: 'actions' }, apply));

  const verify = button('Verify the chain', () => busy(verify, 'Verifying the hash chain…', async () => {
    const vaultId = vault()?.vaultId;
    const known = verifiedHeads.get(vaultId) || [];
    const q = new URLSearchParams();
    for (const k of known) q.append('anchor', `${k.pop_id}:${k.seq}`);
    const r = await api('GET', `/audit/verify${known.length ? `?${q}` : ''}`);
    if (!r.ok) {
      alertError(`The audit chain is broken at ${r.first_break.pop_id} row ${r.first_break.seq}: ${r.first_break.problem}.`);
      return;
    }
    const lost = lostHead(known, r.anchors);
    if (lost) { alertError(lost); return; }
    const next = [...known];
    for (const h of r.heads || []) {
      const i = next.findIndex((k) => k.pop_id === h.pop_id);
      if (i < 0) next.push(h); else if (next[i].seq <= h.seq) next[i] = h;
    }
    verifiedHeads.set(vaultId, next);
    status(`The audit chain is intact: ${r.checked} rows checked, up to row ${next.map((k) => k.seq).join(', ')}.`);
  }), 'btn', { id: 'audit-verify' });

  const filterBox = h('details', { class: 'card', id: 'audit-filter-box', open: window.matchMedia('(min-width: 720px)').matches }, h('summary', { text: 'Filters' }), filters);
  /** A chart bar was chosen: show that agent's events of that hour or day. */
  const pickBucket = (agent, bucket, label) => {
    actor.value = agent.agent_id;
    since.value = localInput(bucket.start);
    until.value = localInput(bucket.end);
    entry.value = '';
    action.value = '';
    outcome.value = '';
    cursors.length = 1;
    filterBox.open = true;
    busy(apply, 'Loading…', async () => {
      await load();
      status(`Showing the events of ${agent.name}, ${label}.`);
      table.scrollIntoView({ block: 'start' });
    });
  };

  render('Audit log',
    h('p', { class: 'muted', text: 'Every credential read, refusal and owner change, newest first. Each row is hash-chained to the one before it.' }),
    activityPanel(agents, pickBucket),
    filterBox,
    h('div', { class: 'toolbar' }, verify, h('span', { class: 'grow' }), newer, older),
    h('div', { class: 'table-wrap' }, table), pageInfo);
  await load();
}
