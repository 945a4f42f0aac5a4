// Normalized items (SPEC section 11; the shape of POST /api/v1/import/parse
// and of `export --format json`) ↔ entries per FIELD_SPEC. Pure functions:
// sealing happens in entrydoc.js.

import { typeDef, fieldDef } from './fieldspec.js';
import { customName } from './entrydoc.js';

const TOP_LEVEL = ['username', 'email', 'password', 'totp'];
const CARD = ['cardholder', 'brand', 'number', 'expiry', 'cvv', 'pin'];
const IDENTITY = ['first_name', 'middle_name', 'last_name', 'email', 'phone', 'address1', 'address2', 'city', 'state', 'zip', 'country', 'company', 'ssn', 'passport', 'license'];

/**
 * The host of a URL as the CLI reads it (`import::classify::host_of`):
 * scheme optional, userinfo and port dropped, lower case, '' when it is
 * not plausibly a host.
 */
export function hostOfUrl(url) {
  const u = (url || '').trim();
  const i = u.indexOf('://');
  const rest = i >= 0 ? u.slice(i + 3) : u;
  const authority = rest.split(/[/?#\\]/)[0] || '';
  const hostPort = authority.split('@').pop() || '';
  const raw = hostPort.startsWith('[') ? hostPort.slice(1).split(']')[0] : hostPort.split(':')[0];
  const host = raw.replace(/\.+$/, '').toLowerCase();
  const plausible = host !== '' && !/\s/.test(host) && (host.includes('.') || host.includes(':') || u.includes('://'));
  return plausible ? host : '';
}

/**
 * The duplicate key of the CLI (`import::dedup::key`, SPEC section 11):
 * type, title, the username the entry will hold in its L1 `username`
 * field (none when the type has no such field) and the first URL's host
 * without `www.`. tests/browser/import-dedup-vectors.json holds the cases
 * both implementations are tested against.
 */
export function dedupKey(type, title, username, urls) {
  const user = fieldDef(type, 'username') ? (username || '') : '';
  const host = hostOfUrl((urls || [])[0] || '').replace(/^www\./, '');
  return [type, (title || '').trim().toLowerCase(), user.trim().toLowerCase(), host].join('\u001f');
}

/** Milliseconds of an RFC 3339 time, or null. */
export function timeOf(t) {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? null : ms;
}

/**
 * An item as plaintext entry parts: `{type, title, urls, notes, folder,
 * favorite, fields: [{name, label?, kind?, tier?, plain}], username}`.
 */
export function itemToEntry(item) {
  const type = typeDef(item.type) && !typeDef(item.type).system ? item.type : (item.password || item.username || (item.urls || []).length ? 'login' : 'note');
  const def = typeDef(type);
  const urls = (item.urls || []).filter(Boolean);
  const title = (item.title || '').trim() || hostOf(urls[0] || '') || 'Untitled';
  const used = new Set();
  const fields = [];
  const source = (name) => {
    const typed = item.typed?.[name];
    if (typed) return typed;
    if (CARD.includes(name) && item.card?.[name]) return item.card[name];
    if (IDENTITY.includes(name) && item.identity?.[name]) return item.identity[name];
    if (TOP_LEVEL.includes(name) && item[name]) { used.add(name); return item[name]; }
    return '';
  };
  for (const f of def.fields) {
    const plain = source(f.name);
    if (plain) fields.push({ name: f.name, plain });
  }
  const taken = new Set(def.fields.map((f) => f.name));
  const custom = (label, plain, hidden, kind) => {
    if (!plain) return;
    const name = customName(label, taken);
    taken.add(name);
    fields.push({ name, label, plain, tier: hidden ? 'l2' : 'l1', kind: kind || (hidden ? 'secret' : 'text') });
  };
  // Top-level values the type has no field for (a note with a password) stay, as custom fields.
  if (!used.has('username') && !fieldDef(type, 'username')) custom('Username', item.username, false);
  if (!used.has('email') && !fieldDef(type, 'email')) custom('Email', item.email, false, 'email');
  if (!used.has('password') && !fieldDef(type, 'password')) custom('Password', item.password, true);
  if (!used.has('totp') && !fieldDef(type, 'totp')) custom('One-time code', item.totp, true, 'totp');
  for (const [name, plain] of Object.entries(item.typed || {})) if (!fieldDef(type, name)) custom(name.replace(/_/g, ' '), plain, false);
  for (const f of item.fields || []) custom(f.label || 'Field', f.value, !!f.hidden);
  return {
    type, title, urls,
    notes: item.notes || '',
    folder: item.folder || '',
    favorite: !!item.favorite,
    fields,
    username: item.username || '',
    updated_at: item.updated_at || null,
    category: item.category || null,
  };
}

/** An opened entry (fields with `plain`) as a normalized item, for export. */
export function entryToItem(entry, fields) {
  const item = {
    type: entry.type, title: entry.title, folder: entry.folder || '', urls: entry.urls || [],
    username: '', email: '', password: '', totp: '', notes: entry.notes || '', favorite: !!entry.favorite,
    fields: [], typed: {}, created_at: entry.created_at, updated_at: entry.updated_at, source: 'clavitor',
  };
  const def = typeDef(entry.type);
  for (const f of fields) {
    const known = def?.fields.some((d) => d.name === f.name);
    if (!known) { item.fields.push({ label: f.label || f.name, value: f.plain ?? '', hidden: f.tier !== 'l1' }); continue; }
    if (TOP_LEVEL.includes(f.name)) item[f.name] = f.plain ?? '';
    else if (entry.type === 'card' && CARD.includes(f.name)) (item.card ||= {})[f.name] = f.plain ?? '';
    else if (entry.type === 'identity' && IDENTITY.includes(f.name)) (item.identity ||= {})[f.name] = f.plain ?? '';
    else item.typed[f.name] = f.plain ?? '';
  }
  if (entry.type === 'card') item.card = { ...Object.fromEntries(CARD.map((k) => [k, ''])), ...item.card };
  if (entry.type === 'identity') item.identity = { ...Object.fromEntries(IDENTITY.map((k) => [k, ''])), ...item.identity };
  return item;
}
