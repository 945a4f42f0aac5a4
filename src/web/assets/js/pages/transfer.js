// Import and export. Import: the server parses the export file
// statelessly (POST /api/v1/import/parse), this page maps the items onto
// FIELD_SPEC, seals L2/L3 values here and uploads batches to
// /api/v1/entries/batch, with a progress bar. Export: every entry is
// fetched and decrypted here and saved as a JSON file.

import { h, field, fill, render, button, busy, status, alertError } from '../dom.js';
import { api } from '../api.js';
import { sealFields, newEntryId, openFields } from '../entrydoc.js';
import { dedupKey, itemToEntry, entryToItem, timeOf } from '../importmap.js';

/** Entries per /entries/batch request (the server takes up to 1000). */
const BATCH = 100;
/** Parallel GETs while exporting. */
const PARALLEL = 4;

/** "1 item", "2 items". */
function plural(n, one, many = `${one}s`) { return `${n} ${n === 1 ? one : many}`; }

function progressBar(id, label) {
  const bar = h('progress', { id, max: '1', value: '0', 'aria-label': label });
  const text = h('p', { class: 'muted small', id: `${id}-text`, 'aria-live': 'polite' });
  const wrap = h('div', { class: 'progress', hidden: true }, bar, text);
  return {
    wrap,
    set(done, total, msg) { wrap.hidden = false; bar.max = Math.max(total, 1); bar.value = done; text.textContent = msg; },
  };
}

/** The import & export page. */
export async function transferPage() {
  const { scopes } = await api('GET', '/scopes');
  render('Import & export', importCard(scopes), exportCard());
}

function importCard(scopes) {
  const file = h('input', { type: 'file', id: 'import-file' });
  const format = h('input', { id: 'import-format', value: 'auto', spellcheck: 'false', autocomplete: 'off' });
  const scope = h('select', { id: 'import-scope' },
    h('option', { value: '', text: 'No scope (agents cannot see them)' }),
    h('option', { value: '0000', text: 'Owner only (0000)' }),
    scopes.map((s) => h('option', { value: s.scope_id, text: `${s.name} (${s.scope_id})` })));
  const summary = h('div', { id: 'import-summary' });
  const progress = progressBar('import-progress', 'Import progress');
  const read = h('button', { type: 'submit', class: 'btn btn-primary', id: 'import-read', text: 'Read file' });
  const form = h('form', { class: 'stack', id: 'import-form', novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) { alertError('Choose an export file first.'); file.focus(); return; }
    busy(read, `Reading ${f.name}…`, async () => {
      const q = new URLSearchParams({ format: format.value.trim() || 'auto', filename: f.name });
      let parsed;
      try {
        parsed = await api('POST', `/import/parse?${q}`, { body: await f.arrayBuffer(), raw: true });
      } catch (e) {
        if (e.code === 'CV-3003') throw new Error('This server cannot parse export files yet (it predates POST /api/v1/import/parse). Update clavitor, or use clavitor import on the command line.');
        throw e;
      }
      await preview(parsed, summary, progress, scope.value);
    });
  } },
  field('Export file', file, 'From Bitwarden, 1Password, LastPass, KeePass, Proton Pass, Chrome and others. It is parsed by this server without being stored or logged, and the secrets are encrypted in this browser before upload.'),
  h('div', { class: 'grid2' }, field('Format', format, '“auto” detects it.'), field('Scope for imported entries', scope, 'Used when an item has no category the server classified.')),
  h('div', { class: 'actions' }, read));
  return h('section', { class: 'card', 'aria-labelledby': 'imp-h' }, h('h2', { id: 'imp-h', text: 'Import' }), form, summary, progress.wrap);
}

/** Shows what a parse found, and the button that imports it. */
async function preview(parsed, summary, progress, defaultScope) {
  // The server's pipeline already merged duplicates within the file, by
  // the same key the CLI uses; existing entries are matched by it too,
  // from the listing (it carries each entry's L1 username).
  const merged = parsed.merged || 0;
  const entries = (parsed.items || []).map(itemToEntry);
  const { entries: existing } = await api('GET', '/entries');
  const byKey = new Map();
  for (const e of existing) {
    const k = dedupKey(e.type, e.title, e.username, e.urls);
    if (!byKey.has(k)) byKey.set(k, e);
  }
  const skipped = parsed.skipped || [];
  const go = h('button', { type: 'button', class: 'btn btn-primary', id: 'import-go', text: `Import ${plural(entries.length, 'entry', 'entries')}`, disabled: entries.length === 0 });
  go.addEventListener('click', () => busy(go, 'Importing…', async () => {
    go.disabled = true;
    const r = await runImport(entries, byKey, defaultScope, progress);
    status(`Import finished: ${r.created} created, ${r.replaced} updated, ${r.kept} kept as they were (the existing entry was as new or newer).`);
  }));
  fill(summary,
    h('p', { id: 'import-found' }, `Recognised ${parsed.format || 'the file'}: ${plural(entries.length, 'item')}`, merged ? `, ${plural(merged, 'duplicate')} merged` : '', skipped.length ? `, ${skipped.length} skipped` : '', '.'),
    skipped.length ? h('details', {}, h('summary', { text: 'Skipped records' }), h('ul', { class: 'small' }, skipped.slice(0, 50).map((s) => h('li', { text: Array.isArray(s) ? s.join(': ') : (s.record ? `${s.record}: ${s.reason}` : JSON.stringify(s)) })))) : null,
    h('div', { class: 'actions' }, go));
  status(`Read ${entries.length} items. Review, then import.`);
}

/** Creates scopes for the categories the server classified (on demand). */
async function scopeFor(category, cache) {
  if (cache.has(category)) return cache.get(category);
  const { scopes } = await api('GET', '/scopes');
  let s = scopes.find((x) => x.name.toLowerCase() === category.toLowerCase());
  if (!s) s = await api('POST', '/scopes', { body: { name: category } });
  cache.set(category, s.scope_id);
  return s.scope_id;
}

/** Seals and uploads; duplicates of existing entries: the newer one wins (no time: the existing one). */
async function runImport(entries, byKey, defaultScope, progress) {
  const total = entries.length;
  let done = 0, created = 0, replaced = 0, kept = 0;
  const scopeCache = new Map();
  let batch = [];
  const flush = async () => {
    if (!batch.length) return;
    await api('POST', '/entries/batch', { body: { entries: batch } });
    created += batch.length; done += batch.length; batch = [];
    progress.set(done, total, `${done} of ${total} entries imported`);
  };
  progress.set(0, total, `0 of ${total} entries imported`);
  for (const e of entries) {
    const scopesOf = e.category ? [await scopeFor(e.category, scopeCache)] : defaultScope ? [defaultScope] : [];
    const body = { type: e.type, title: e.title, urls: e.urls, notes: e.notes, folder: e.folder, favorite: e.favorite, tags: [], scopes: scopesOf };
    const twin = byKey.get(dedupKey(e.type, e.title, e.username, e.urls));
    if (twin) {
      const newer = timeOf(e.updated_at) !== null && timeOf(e.updated_at) > (timeOf(twin.updated_at) ?? Infinity);
      if (newer) {
        await api('PUT', `/entries/${twin.entry_id}`, { body: { ...body, fields: await sealFields(twin.entry_id, e.type, e.fields) }, headers: { 'If-Match': `"${twin.version}"` } });
        replaced += 1;
      } else kept += 1;
      done += 1;
      progress.set(done, total, `${done} of ${total} entries imported`);
      continue;
    }
    const id = newEntryId();
    batch.push({ entry_id: id, ...body, fields: await sealFields(id, e.type, e.fields) });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  progress.set(total, total, `All ${total} entries processed.`);
  return { created, replaced, kept };
}

function exportCard() {
  const progress = progressBar('export-progress', 'Export progress');
  const run = button('Export decrypted JSON', () => busy(run, 'Decrypting every entry…', async () => {
    const { entries } = await api('GET', '/entries');
    const items = new Array(entries.length);
    let next = 0, done = 0;
    progress.set(0, entries.length, `0 of ${entries.length} entries decrypted`);
    const worker = async () => {
      while (next < entries.length) {
        const i = next++;
        const full = await api('GET', `/entries/${entries[i].entry_id}`);
        items[i] = entryToItem(full, await openFields(full));
        done += 1;
        progress.set(done, entries.length, `${done} of ${entries.length} entries decrypted`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, entries.length) }, worker));
    const blob = new Blob([JSON.stringify({ items }, null, 2)], { type: 'application/json' });
    const a = h('a', { href: URL.createObjectURL(blob), download: `clavitor-export-${new Date().toISOString().slice(0, 10)}.json` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 5000);
    status(`Exported ${items.length} entries. The file holds every secret in clear: keep it safe and delete it when done.`);
  }), 'btn', { id: 'export-run' });
  return h('section', { class: 'card', 'aria-labelledby': 'exp-h' }, h('h2', { id: 'exp-h', text: 'Export' }),
    h('p', { class: 'warn', text: 'The export is decrypted in this browser and saved as a JSON file (the shape of clavitor export --format json) that holds every secret, owner-only ones included, in clear.' }),
    h('div', { class: 'actions' }, run), progress.wrap);
}
