// FIELD_SPEC as the server serves it (`fieldspec.json`, generated from
// src/fieldspec.rs): the one source of truth for each field's kind and tier.

let spec = null;

/** Loads the table once (same-origin, versioned and cached). */
export async function loadSpec() {
  if (!spec) {
    const url = new URL('../fieldspec.json', import.meta.url);
    const res = await fetch(url, { credentials: 'omit' });
    if (!res.ok) throw new Error('Could not load the field table from the server.');
    spec = await res.json();
  }
  return spec;
}

/** The user-creatable types, in table order. */
export function userTypes() { return spec.types.filter((t) => !t.system); }

/** One type's definition (or undefined). */
export function typeDef(name) { return spec.types.find((t) => t.name === name); }

/** The known field of a type, or undefined for a custom field. */
export function fieldDef(type, name) { return typeDef(type)?.fields.find((f) => f.name === name); }

/** A readable name of a type: `ssh_key` → `SSH key`. */
export function typeLabel(name) {
  const special = { ssh_key: 'SSH key', api_key: 'API key', wifi: 'Wi-Fi', software_license: 'Software licence', crypto_wallet: 'Crypto wallet' };
  return special[name] || name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' ');
}
