// Entries on the wire ↔ entries in the page: L2 fields sealed and opened
// with K2, L3 with K3, in the cv1 format and AAD of the CLI (SPEC section 3).
// Tiers come from FIELD_SPEC; custom fields are L1, or L2 when hidden.

import * as c from './crypto.js';
import { vault } from './session.js';
import { fieldDef } from './fieldspec.js';

function tierKey(tier) {
  const v = vault();
  if (!v) throw new Error('The vault is locked.');
  return tier === 'l2' ? v.keys.k2 : v.keys.k3;
}

/** A new random entry id (the AAD binds sealed values to it, so the client picks it). */
export function newEntryId() { return c.hex(c.randomBytes(16)); }

/**
 * The plaintext of every field of a fetched entry: `{...field, plain}`; a
 * value that does not open gets `plain: null` and `error`.
 */
export async function openFields(entry) {
  const v = vault();
  const out = [];
  for (const f of entry.fields || []) {
    if (f.tier === 'l1') { out.push({ ...f, plain: f.value }); continue; }
    try {
      const plain = await c.open(tierKey(f.tier), f.tier, c.fieldAad(v.vaultId, entry.entry_id, f.name, f.tier), f.value);
      out.push({ ...f, plain });
    } catch (e) {
      out.push({ ...f, plain: null, error: e.message });
    }
  }
  return out;
}

/** The tier of a field: FIELD_SPEC's, else the custom field's own. */
export function tierOf(type, name, customTier = 'l1') {
  return fieldDef(type, name)?.tier || customTier;
}

/**
 * Wire fields from plaintext ones (`{name, label?, kind?, tier?, plain}`):
 * empty values are left out; L2/L3 values are sealed for this entry id.
 */
export async function sealFields(entryId, type, fields) {
  const v = vault();
  const out = [];
  for (const f of fields) {
    if (f.plain === undefined || f.plain === null || f.plain === '') continue;
    const known = fieldDef(type, f.name);
    const tier = known ? known.tier : (f.tier || 'l1');
    const value = tier === 'l1' ? f.plain : await c.seal(tierKey(tier), tier, c.fieldAad(v.vaultId, entryId, f.name, tier), f.plain);
    const wire = { name: f.name, tier, value };
    if (!known) {
      wire.label = f.label || f.name;
      if (f.kind) wire.kind = f.kind;
    }
    out.push(wire);
  }
  return out;
}

/** A field name for a custom field's label: `c_` + a slug, unique among `taken`. */
export function customName(label, taken) {
  const slug = (label || 'field').toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 48) || 'field';
  let name = `c_${slug}`;
  for (let i = 2; taken.has(name) && i < 1000; i++) name = `c_${slug}_${i}`;
  return name;
}

/** The host of a URL, or ''. */
export function hostOf(url) {
  try { return new URL(url).hostname.toLowerCase(); } catch { return ''; }
}

/**
 * Agent names by id (owner only), to say which agent created an entry.
 * An empty map if the list cannot be read: the id is shown instead.
 */
export async function agentNames(api) {
  try {
    const { agents } = await api('GET', '/agents');
    return new Map(agents.map((a) => [a.agent_id, a.name]));
  } catch {
    return new Map();
  }
}

/** True if an agent, not the owner, created the entry (`created_by` on the wire). */
export const agentMade = (e) => e.created_by?.kind === 'agent';

/** Who created an entry, for the owner: "you (owner)" or "agent NAME (id…)". */
export function creatorText(createdBy, names) {
  if (createdBy?.kind !== 'agent') return 'You (owner)';
  const id = createdBy.agent_id || '';
  const name = names.get(id);
  return name ? `Agent “${name}” (${id.slice(0, 8)}…)` : `Agent ${id} (deleted)`;
}

/** Only http(s) URLs become links (never javascript: or data:). */
export function safeHref(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch { return null; }
}
