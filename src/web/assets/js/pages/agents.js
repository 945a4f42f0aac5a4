// The agent list, and the once-only display of an agent's client
// credential (minted here: the server never sees K2 or the credential).

import { h, render, linkButton, empty, when, button, copyText, status } from '../dom.js';
import { api } from '../api.js';
import { go } from '../nav.js';
import { encodeCredential } from '../crypto.js';
import { vault } from '../session.js';

/** Access in a few words: scope names or "all", plus "can write". */
export function accessText(a, scopes) {
  const name = (id) => scopes.find((s) => s.scope_id === id)?.name || id;
  let s = a.all_access ? 'All entries' : a.scopes.length ? a.scopes.map(name).join(', ') : 'Nothing yet';
  if (a.can_write) s += ' · can write';
  return s;
}

/** active, locked or expired. */
export function stateText(a) {
  if (a.locked) return 'Locked';
  if (a.expires_at && new Date(a.expires_at) <= new Date()) return 'Expired';
  return 'Active';
}

/** The agents page. */
export async function agentsPage() {
  const [{ agents }, { scopes }] = await Promise.all([api('GET', '/agents'), api('GET', '/scopes')]);
  const table = h('table', { class: 'table', id: 'agent-table' },
    h('caption', { class: 'sr-only', text: 'Agents' }),
    h('thead', {}, h('tr', {}, ['Name', 'Access', 'Limits', 'State', 'Created'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, agents.map((a) => h('tr', {},
      h('td', { 'data-label': 'Name' }, h('a', { href: `#/agents/${a.agent_id}`, text: a.name })),
      h('td', { 'data-label': 'Access', text: accessText(a, scopes) }),
      h('td', { 'data-label': 'Limits', text: `${a.rate_limit_minute}/min · ${a.rate_limit_hour}/h` }),
      h('td', { 'data-label': 'State' }, h('span', { class: `pill pill-${stateText(a).toLowerCase()}`, text: stateText(a) })),
      h('td', { 'data-label': 'Created', text: when(a.created_at) })))));
  render('Agents',
    h('p', { class: 'muted', text: 'Each agent gets a credential that reads only the entries in its scopes, one at a time, rate-limited and audited. Owner-only fields never reach an agent.' }),
    h('div', { class: 'toolbar' }, h('div', { class: 'toolbar-end' }, linkButton('New agent', '#/agents/new', 'btn btn-primary'))),
    agents.length ? table : empty('No agents yet.'));
}

/**
 * Wraps the wire token of a create/rotate answer into the `cvc1.` credential
 * and shows it once.
 */
export function showCredential(answer, what) {
  const v = vault();
  const credential = encodeCredential(location.origin, answer.token, v.vaultId, v.keys.k2);
  const box = h('textarea', { id: 'agent-credential', class: 'mono secret-box', readonly: true, rows: '5', spellcheck: 'false', 'aria-describedby': 'cred-warn', value: credential });
  render(`Credential for ${answer.name}`,
    h('div', { class: 'card' },
      h('p', {}, `Agent ${what}. Its client credential follows, shown only this once.`),
      h('p', { class: 'warn', id: 'cred-warn', text: 'Store it like a private key (a 0600 file or a secret store): anyone holding it can read what this agent may read.' }),
      h('label', { for: 'agent-credential', text: 'Client credential' }),
      box,
      h('p', { class: 'hint' }, 'Give it to the agent as ', h('code', { text: 'CLAVITOR_CREDENTIAL' }), ' (or a file for ', h('code', { text: '--credential-file' }), '), then: ', h('code', { text: 'clavitor get "Title" --field password' })),
      h('div', { class: 'actions' },
        button('Copy', () => copyText(credential, 'Credential'), 'btn btn-primary', { id: 'copy-credential' }),
        button('Done', () => go(`agents/${answer.agent_id}`), 'btn', { id: 'credential-done' }))));
  status('Copy the credential now: it is not shown again.');
  box.select();
}
