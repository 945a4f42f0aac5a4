// Create or edit an entry per FIELD_SPEC. L2/L3 values are sealed here,
// for this entry id, before the request leaves the page; edits are sent
// with If-Match so a concurrent change is not overwritten.

import { h, field, checkbox, render, button, busy, alertError, uid } from '../dom.js';
import { api } from '../api.js';
import { go } from '../nav.js';
import { userTypes, typeDef, typeLabel } from '../fieldspec.js';
import { openFields, sealFields, newEntryId, customName } from '../entrydoc.js';
import { randomBytes } from '../crypto.js';

const INPUT_TYPES = { email: 'email', phone: 'tel', url: 'url', secret: 'password' };
const GENERATED = new Set(['password', 'passphrase']);

/** A random password: 20 characters from a 64-symbol set without look-alikes in pairs. */
function generatePassword() {
  const set = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.!@#%+';
  return Array.from(randomBytes(20), (b) => set[b % 64]).join('');
}

/** The create (`id` null) or edit page. */
export async function entryEditPage(id) {
  const [entry, scopes] = await Promise.all([id ? api('GET', `/entries/${id}`) : null, api('GET', '/scopes')]);
  const opened = entry ? await openFields(entry) : [];
  if (opened.some((f) => f.plain === null)) throw new Error('Some values of this entry cannot be decrypted, so it cannot be edited here.');
  const values = new Map(opened.map((f) => [f.name, f.plain]));

  const typeSelect = h('select', { id: 'entry-type-select', disabled: !!entry },
    userTypes().map((t) => h('option', { value: t.name, text: typeLabel(t.name), selected: t.name === (entry?.type || 'login') })));
  const title = h('input', { id: 'entry-title', required: true, value: entry?.title || '', autocomplete: 'off', maxlength: '1024' });
  const urls = h('textarea', { id: 'entry-urls', rows: '2', value: (entry?.urls || []).join('\n'), autocomplete: 'off', spellcheck: 'false' });
  const folder = h('input', { id: 'entry-folder', value: entry?.folder || '', autocomplete: 'off' });
  const favorite = checkbox('Favourite', { id: 'entry-favorite', checked: !!entry?.favorite });
  const notes = h('textarea', { id: 'entry-notes', rows: '4', value: entry?.notes || '' });
  // Agent integrations (SPEC 13): raw values for agents' reveal tools, and
  // hosts a clavitor:// reference may be sent to besides the URLs' hosts.
  const agentReveal = checkbox('Revealable to agents: their raw-value tool (clavitor mcp reveal_secret) may return this entry’s values',
    { id: 'entry-agent-reveal', checked: !!entry?.agent_reveal });
  const allowedHosts = h('textarea', { id: 'entry-allowed-hosts', rows: '2', value: (entry?.allowed_hosts || []).join('\n'), autocomplete: 'off', spellcheck: 'false' });
  const typeFields = h('div', { class: 'stack', id: 'type-fields' });
  const customs = h('div', { class: 'stack', id: 'custom-fields' });

  /** Inputs of the type's fields, by name. */
  let inputs = new Map();
  const drawTypeFields = () => {
    for (const [name, el] of inputs) values.set(name, el.value);
    inputs = new Map();
    const def = typeDef(typeSelect.value);
    typeFields.replaceChildren(...def.fields.map((f) => {
      const multiline = f.kind === 'multiline';
      const el = multiline
        ? h('textarea', { rows: '4', id: `field-${f.name}`, spellcheck: 'false', value: values.get(f.name) || '' })
        : h('input', { type: INPUT_TYPES[f.kind] || 'text', id: `field-${f.name}`, autocomplete: f.kind === 'secret' ? 'new-password' : 'off', spellcheck: 'false', value: values.get(f.name) || '' });
      inputs.set(f.name, el);
      const tierNote = f.tier === 'l3' ? 'Owner only: agents never receive it.' : f.tier === 'l2' ? 'Encrypted in this browser; agents with access decrypt it locally.' : null;
      const wrap = field(f.label, el, f.kind === 'totp' ? 'An otpauth:// URI or the base32 secret.' : tierNote);
      if (f.kind === 'secret' && !multiline) {
        const extra = [button('Show', (ev) => {
          const showing = el.type === 'text';
          el.type = showing ? 'password' : 'text';
          ev.target.textContent = showing ? 'Show' : 'Hide';
          ev.target.setAttribute('aria-pressed', String(!showing));
        }, 'btn btn-small', { 'aria-pressed': 'false', 'aria-label': `Show ${f.label}` })];
        if (GENERATED.has(f.name)) extra.push(button('Generate', () => { el.value = generatePassword(); el.type = 'text'; }, 'btn btn-small', { 'aria-label': `Generate a ${f.label.toLowerCase()}` }));
        wrap.append(h('div', { class: 'inline-actions' }, extra));
      }
      return wrap;
    }));
  };
  typeSelect.addEventListener('change', drawTypeFields);
  drawTypeFields();

  const def0 = typeDef(entry?.type || 'login');
  const addCustom = (f = { name: null, label: '', plain: '', tier: 'l1' }) => {
    const label = h('input', { value: f.label || '', autocomplete: 'off', 'data-role': 'label' });
    const value = h('input', { value: f.plain || '', autocomplete: 'off', spellcheck: 'false', 'data-role': 'value' });
    const hidden = h('input', { type: 'checkbox', id: uid('hidden'), checked: f.tier !== 'l1', 'data-role': 'hidden' });
    const rowEl = h('fieldset', { class: 'custom-row' },
      h('legend', { class: 'sr-only', text: 'Custom field' }),
      field('Label', label), field('Value', value),
      h('div', { class: 'check' }, hidden, h('label', { for: hidden.id, text: 'Hidden (encrypted in this browser)' })),
      button('Remove', () => rowEl.remove(), 'btn btn-small btn-quiet', { 'aria-label': 'Remove this custom field' }));
    rowEl.dataset.name = f.name || '';
    rowEl.dataset.tier = f.tier || 'l1';
    customs.append(rowEl);
    return label;
  };
  for (const f of opened) if (!def0.fields.some((d) => d.name === f.name)) addCustom(f);

  const owned = new Set(entry?.scopes || []);
  const scopeBoxes = [
    checkbox('Owner only (0000): never visible to any agent', { value: '0000', checked: owned.has('0000'), 'data-scope': '0000' }),
    ...scopes.scopes.map((s) => checkbox(`${s.name} (${s.scope_id})`, { value: s.scope_id, checked: owned.has(s.scope_id), 'data-scope': s.scope_id })),
  ];

  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'entry-save', text: entry ? 'Save changes' : 'Create entry' });
  const form = h('form', { class: 'stack', id: 'entry-form', novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    if (!title.value.trim()) { alertError('Give the entry a title.'); title.focus(); return; }
    busy(save, 'Encrypting and saving…', async () => {
      const type = typeSelect.value;
      const entryId = entry?.entry_id || newEntryId();
      const plainFields = [...inputs].map(([name, el]) => ({ name, plain: el.value }));
      const taken = new Set([...typeDef(type).fields.map((f) => f.name), ...[...customs.children].map((r) => r.dataset.name).filter(Boolean)]);
      for (const r of customs.children) {
        const label = r.querySelector('[data-role=label]').value.trim();
        const plain = r.querySelector('[data-role=value]').value;
        if (!label && !plain) continue;
        let name = r.dataset.name;
        if (!name) { name = customName(label, taken); taken.add(name); }
        const hid = r.querySelector('[data-role=hidden]').checked;
        const tier = hid ? (r.dataset.tier === 'l3' ? 'l3' : 'l2') : 'l1';
        plainFields.push({ name, label: label || name, plain, tier, kind: hid ? 'secret' : 'text' });
      }
      const body = {
        type,
        title: title.value.trim(),
        urls: urls.value.split('\n').map((u) => u.trim()).filter(Boolean),
        notes: notes.value,
        folder: folder.value.trim(),
        favorite: favorite.querySelector('input').checked,
        tags: entry?.tags || [],
        fields: await sealFields(entryId, type, plainFields),
        scopes: scopeBoxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
        agent_reveal: agentReveal.querySelector('input').checked,
        allowed_hosts: allowedHosts.value.split('\n').map((u) => u.trim()).filter(Boolean),
      };
      if (entry) {
        try {
          await api('PUT', `/entries/${entryId}`, { body, headers: { 'If-Match': `"${entry.version}"` } });
        } catch (e) {
          if (e.status === 409) throw new Error('This entry was changed elsewhere since you opened it. Reload it and make your change again.');
          throw e;
        }
        go(`entries/${entryId}`, 'Saved.');
      } else {
        await api('POST', '/entries', { body: { entry_id: entryId, ...body } });
        go(`entries/${entryId}`, `Created “${body.title}”.`);
      }
    });
  } },
  field('Type', typeSelect),
  field('Title', title),
  field('Web addresses', urls, 'One per line.'),
  h('div', { class: 'grid2' }, field('Folder', folder, 'Use / for sub-folders, e.g. Work/Dev.'), favorite),
  h('section', { 'aria-labelledby': 'tf-h' }, h('h2', { id: 'tf-h', text: 'Fields' }), typeFields),
  h('section', { 'aria-labelledby': 'cf-h' }, h('h2', { id: 'cf-h', text: 'Custom fields' }), customs,
    button('Add a custom field', () => addCustom().focus(), 'btn btn-small', { id: 'add-custom' })),
  field('Notes', notes),
  h('fieldset', { class: 'scopes' }, h('legend', { text: 'Scopes (which agents may read it)' }), scopeBoxes,
    scopes.scopes.length ? null : h('p', { class: 'hint' }, 'No scopes yet. ', h('a', { href: '#/scopes', text: 'Create one' }), ' to share entries with agents.')),
  h('fieldset', { class: 'stack', id: 'agent-use' }, h('legend', { text: 'Agent integrations' }),
    field('Allowed destination hosts', allowedHosts, 'One per line, e.g. api.example.com or *.example.com. Agents’ brokered requests and the proxy send this entry’s values only to these hosts and to the hosts of its web addresses.'),
    agentReveal),
  h('div', { class: 'actions' }, save, h('a', { class: 'btn btn-link', href: entry ? `#/entries/${entry.entry_id}` : '#/entries', text: 'Cancel' })));

  render(entry ? `Edit ${entry.title}` : 'New entry', h('div', { class: 'card' }, form));
  title.focus();
}
