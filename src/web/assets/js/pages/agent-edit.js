// Create or edit an agent: scopes, all-access, can-write, IP allowlist,
// rate limits (bounded) and expiry; rotate its credential, clear a lock,
// delete it. An edit holds from the agent's next request, with the same
// credential (the server audits it as agent_update).

import { h, field, checkbox, render, button, busy, confirmDialog, alertError, when } from '../dom.js';
import { api } from '../api.js';
import { go } from '../nav.js';
import { showCredential, stateText } from './agents.js';

/** The server's upper bounds for the limits (src/api/agents.rs). */
const MAX_PER_MINUTE = 1000;
const MAX_PER_HOUR = 10000;

/** datetime-local value of an RFC 3339 time (local time). */
function toLocalInput(t) {
  if (!t) return '';
  const d = new Date(t);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The new-agent (`id` null) or agent page. */
export async function agentEditPage(id) {
  const [agent, { scopes }] = await Promise.all([id ? api('GET', `/agents/${id}`) : null, api('GET', '/scopes')]);
  const name = h('input', { id: 'agent-name', required: true, maxlength: '128', value: agent?.name || '', autocomplete: 'off' });
  const all = checkbox('All access: every entry without the owner-only scope', { id: 'agent-all', checked: !!agent?.all_access });
  const write = checkbox('Can write: may create entries in its own scopes', { id: 'agent-write', checked: !!agent?.can_write });
  const granted = new Set(agent?.scopes || []);
  const scopeBoxes = scopes.map((s) => checkbox(`${s.name} (${s.scope_id})`, { value: s.scope_id, checked: granted.has(s.scope_id), 'data-scope': s.scope_id }));
  const ips = h('textarea', { id: 'agent-ips', rows: '2', spellcheck: 'false', value: (agent?.ip_whitelist || []).join('\n') });
  const perMin = h('input', { id: 'agent-rate-minute', type: 'number', min: '1', max: String(MAX_PER_MINUTE), inputmode: 'numeric', value: String(agent?.rate_limit_minute ?? 3) });
  const perHour = h('input', { id: 'agent-rate-hour', type: 'number', min: '1', max: String(MAX_PER_HOUR), inputmode: 'numeric', value: String(agent?.rate_limit_hour ?? 10) });
  const expires = h('input', { id: 'agent-expires', type: 'datetime-local', value: toLocalInput(agent?.expires_at) });

  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'agent-save', text: agent ? 'Save changes' : 'Create agent' });
  const form = h('form', { class: 'stack', id: 'agent-form', novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    if (!name.value.trim()) { alertError('Give the agent a name.'); name.focus(); return; }
    const minute = Number(perMin.value), hour = Number(perHour.value);
    if (!Number.isInteger(minute) || minute < 1 || !Number.isInteger(hour) || hour < minute) {
      alertError('Limits: at least 1 per minute, and at least as many per hour as per minute.'); perMin.focus(); return;
    }
    if (minute > MAX_PER_MINUTE || hour > MAX_PER_HOUR) {
      alertError(`Limits: at most ${MAX_PER_MINUTE} entries per minute and ${MAX_PER_HOUR} per hour.`); (minute > MAX_PER_MINUTE ? perMin : perHour).focus(); return;
    }
    busy(save, agent ? 'Saving…' : 'Creating the agent…', async () => {
      const body = {
        name: name.value.trim(),
        scopes: scopeBoxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
        all_access: all.querySelector('input').checked,
        can_write: write.querySelector('input').checked,
        ip_whitelist: ips.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean),
        rate_limit_minute: minute,
        rate_limit_hour: hour,
        expires_at: expires.value ? new Date(expires.value).toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      };
      if (agent) {
        await api('PUT', `/agents/${agent.agent_id}`, { body });
        go(`agents/${agent.agent_id}`, 'Saved.');
      } else {
        showCredential(await api('POST', '/agents', { body }), 'created');
      }
    });
  } },
  field('Name', name),
  h('fieldset', { class: 'scopes' }, h('legend', { text: 'Scopes it may read' }), scopeBoxes.length ? scopeBoxes
    : h('p', { class: 'hint' }, 'No scopes yet. ', h('a', { href: '#/scopes', text: 'Create one' }), ', or give all access.')),
  all, write,
  field('Allowed addresses (optional)', ips, 'CIDRs such as 192.0.2.0/24 or 2001:db8::/32, one per line. Empty: any address.'),
  h('div', { class: 'grid2' }, field('Entries per minute', perMin), field('Entries per hour', perHour)),
  field('Expires (optional)', expires),
  h('div', { class: 'actions' }, save, h('a', { class: 'btn btn-link', href: '#/agents', text: 'Cancel' })));

  const extra = agent ? agentActions(agent) : null;
  render(agent ? agent.name : 'New agent',
    h('p', { class: 'crumbs' }, h('a', { href: '#/agents', text: '← All agents' })),
    extra, h('div', { class: 'card' }, form));
}

function agentActions(agent) {
  const rotate = button('Rotate credential', async () => {
    if (!(await confirmDialog('Rotate the credential?', `The current credential of “${agent.name}” stops working at once.`, 'Rotate'))) return;
    await busy(rotate, 'Rotating…', async () => showCredential(await api('POST', `/agents/${agent.agent_id}/rotate`, { body: {} }), 'rotated; the previous credential no longer works'));
  }, 'btn', { id: 'agent-rotate' });
  const unlock = agent.locked ? button('Unlock agent', () => busy(unlock, 'Unlocking…', async () => {
    await api('POST', `/agents/${agent.agent_id}/unlock`, { body: {} });
    go(`agents/${agent.agent_id}`, 'Agent unlocked.');
  }), 'btn', { id: 'agent-unlock' }) : null;
  const del = button('Delete agent', async () => {
    if (!(await confirmDialog('Delete this agent?', `“${agent.name}” and its credential stop working at once.`))) return;
    await busy(del, 'Deleting…', async () => {
      await api('DELETE', `/agents/${agent.agent_id}`);
      go('agents', `Deleted agent “${agent.name}”.`);
    });
  }, 'btn btn-danger', { id: 'agent-delete' });
  return h('div', { class: 'card' },
    h('dl', { class: 'meta' },
      h('dt', { text: 'State' }), h('dd', {}, h('span', { class: `pill pill-${stateText(agent).toLowerCase()}`, text: stateText(agent) }), agent.violations ? ` (${agent.violations} violations)` : ''),
      h('dt', { text: 'Agent id' }), h('dd', { class: 'mono', text: agent.agent_id }),
      h('dt', { text: 'Created' }), h('dd', { text: when(agent.created_at) })),
    h('div', { class: 'actions' }, rotate, unlock, del));
}
