// The unlocked vault: M, the derived keys and the owner token, held in this
// module's memory only — never in localStorage, sessionStorage, cookies or
// IndexedDB. A reload or lock() forgets everything; the owner unlocks again.
//
// Also the vault-level flows that make or use M: create a vault, unlock
// with a passphrase, a recovery code or a passkey's PRF output, open an
// owner session, add unlock methods, log out everywhere.
//
// Unlocking (SPEC section 3, "Proving an unlock"): the public step gives
// only the KDF parameters; the page derives the KEK, sends the unlock proof
// to `.../open` and only then receives the wrapped copy of M. A vault made
// before v1.1 answers `legacy: true`; once unlocked, the page stores the
// missing verifier for the method it used.

import * as c from './crypto.js';
import { api, seg } from './api.js';

/** @type {null | {vaultId, handle, m, keys, token, expiresAt}} */
let current = null;
const listeners = new Set();

/** The unlocked vault, or null. */
export function vault() { return current; }

/** The owner token, for api.js. */
export function token() { return current?.token || null; }

/** Calls `fn(vault|null)` whenever the vault locks or unlocks. */
export function onChange(fn) { listeners.add(fn); }

function notify() { for (const fn of listeners) fn(current); }

/** The handle or vault id of the last unlocked vault (not secret), to prefill the unlock form. */
let lastWho = '';
export function lastVault() { return lastWho; }

/** Wipes M and the keys and drops the token, without telling anyone. */
function forget() {
  if (current) {
    lastWho = current.handle || current.vaultId;
    c.wipe(current.m, current.keys.auth, current.keys.k1, current.keys.k2, current.keys.k3);
    current = null;
  }
}

/** Forgets M, every key and the token (wiping the byte arrays). */
export function lock() {
  forget();
  notify();
}

/** True for a 32-character hex vault id (otherwise the input is a handle). */
export function isVaultId(s) { return /^[0-9a-fA-F]{32}$/.test(s.trim()); }

/** Derives the keys from M, opens an owner session and keeps both in memory. */
async function start(vaultId, m, handle) {
  const keys = await c.deriveKeys(m, vaultId);
  const answer = await api('POST', '/session', {
    auth: false,
    body: { vault_id: vaultId, owner_auth: c.b64(keys.auth), l1: c.b64(keys.k1) },
  });
  forget();
  current = { vaultId, handle: handle || null, m, keys, token: answer.token, expiresAt: answer.expires_at };
  notify();
  return current;
}

/**
 * Creates a vault: M, a passphrase method and a recovery method, made here.
 * Returns the recovery code to show once.
 */
export async function createVault({ handle, passphrase, setupToken }) {
  const vaultId = c.hex(c.randomBytes(16));
  const m = c.randomBytes(32);
  const keys = await c.deriveKeys(m, vaultId);
  const salt = c.randomBytes(16);
  const passKek = await c.passphraseKek(passphrase, salt, c.PASSPHRASE_MIN_ITERATIONS);
  const code = c.randomBytes(32);
  const recKek = await c.recoveryKek(code, vaultId);
  const body = {
    vault_id: vaultId,
    owner_verifier: c.b64(await c.ownerVerifier(keys.auth)),
    l1_check: c.b64(await c.l1Check(keys.k1)),
    unlock: [
      { method_id: 'passphrase', kind: 'passphrase', kdf: { alg: 'pbkdf2-sha256', salt: c.b64(salt), iterations: c.PASSPHRASE_MIN_ITERATIONS }, wrapped: await c.wrapMaster(passKek, vaultId, 'passphrase', m), verifier: await verifierB64(passKek, vaultId, 'passphrase') },
      { method_id: 'recovery', kind: 'recovery', kdf: { alg: 'hkdf-sha256' }, wrapped: await c.wrapMaster(recKek, vaultId, 'recovery', m), verifier: await verifierB64(recKek, vaultId, 'recovery') },
    ],
  };
  if (handle) body.handle = handle;
  if (setupToken) body.setup_token = setupToken;
  c.wipe(passKek, recKek, keys.auth, keys.k1, keys.k2, keys.k3);
  const created = await api('POST', '/vaults', { auth: false, body });
  const shown = c.formatRecoveryCode(code);
  c.wipe(code);
  await start(vaultId, m, created?.handle || handle);
  return { vaultId, recoveryCode: shown };
}

/** B64(SHA-256(unlock_proof)) of a method. */
async function verifierB64(kek, vaultId, methodId) {
  const proof = await c.unlockProof(kek, vaultId, methodId);
  try { return c.b64(await c.unlockVerifier(proof)); } finally { c.wipe(proof); }
}

/** Finds the vault and the public unlock step (`{kind, kdf}`) for a vault id or handle and a method. */
async function findMethod(who, method) {
  const id = who.trim();
  if (isVaultId(id)) {
    const vaultId = id.toLowerCase();
    return { vaultId, handle: null, step: await api('GET', `/vaults/${vaultId}/unlock/${method}`, { auth: false }) };
  }
  const found = await api('GET', `/unlock?handle=${encodeURIComponent(id)}`, { auth: false });
  if (method === 'passphrase') return { vaultId: found.vault_id, handle: id.toLowerCase(), step: found };
  const step = await api('GET', `/vaults/${seg(found.vault_id)}/unlock/${method}`, { auth: false });
  return { vaultId: found.vault_id, handle: id.toLowerCase(), step };
}

const WRONG = 'That passphrase or recovery code does not open this vault (or the handle is unknown).';

/**
 * Proves the KEK to the server, receives the wrapped M and unwraps it,
 * then opens the session; a pre-v1.1 method gets its verifier added.
 * `wrong` is the message for a refused proof or a copy that does not open.
 */
async function proveAndStart(vaultId, methodId, step, kek, handle, wrong) {
  const proof = await c.unlockProof(kek, vaultId, methodId);
  let opened;
  try {
    opened = await api('POST', `/vaults/${seg(vaultId)}/unlock/${seg(methodId)}/open`, { auth: false, body: { proof: c.b64(proof) } });
  } catch (e) {
    if (e.status === 401) throw new Error(wrong);
    throw e;
  } finally { c.wipe(proof); }
  let m;
  try { m = await c.unwrapMaster(kek, vaultId, methodId, opened.wrapped); } catch { throw new Error(wrong); }
  const v = await start(vaultId, m, handle);
  if (opened.legacy === true) {
    // Unlocked either way; if storing the verifier fails (a backup POP refuses
    // writes), the next unlock tries again.
    try { await putUnlockMethod(methodId, step.kind, step.kdf, kek); } catch { /* retried at the next unlock */ }
  }
  return v;
}

/** Unlocks with a vault id or handle and the passphrase. */
export async function unlockWithPassphrase(who, passphrase) {
  const { vaultId, handle, step } = await findMethod(who, 'passphrase');
  const kdf = step.kdf || {};
  if (step.kind !== 'passphrase' || kdf.alg !== 'pbkdf2-sha256') throw new Error('The server sent unexpected unlock parameters.');
  c.checkIterations(kdf.iterations);
  const kek = await c.passphraseKek(passphrase, c.unb64(kdf.salt), kdf.iterations);
  try { return await proveAndStart(vaultId, 'passphrase', step, kek, handle, WRONG); } finally { c.wipe(kek); }
}

/** Unlocks with a vault id or handle and the recovery code. */
export async function unlockWithRecovery(who, codeText) {
  const code = c.parseRecoveryCode(codeText);
  const found = await findMethod(who, 'recovery');
  const kek = await c.recoveryKek(code, found.vaultId);
  c.wipe(code);
  try { return await proveAndStart(found.vaultId, 'recovery', found.step, kek, found.handle, WRONG); } finally { c.wipe(kek); }
}

/** Unlocks with a passkey: its credential id and PRF output (see passkey.js). */
export async function unlockWithPrf(credentialId, prfOutput) {
  const found = await api('GET', `/unlock/passkey/${seg(credentialId)}`, { auth: false });
  const kek = await c.prfKek(prfOutput, found.vault_id);
  try {
    return await proveAndStart(found.vault_id, credentialId, found, kek, null, 'This passkey does not open a vault on this server.');
  } finally { c.wipe(kek); }
}

/** Adds (or replaces) an unlock method wrapping the current M under `kek`. */
export async function putUnlockMethod(methodId, kind, kdf, kek) {
  const v = current;
  const wrapped = await c.wrapMaster(kek, v.vaultId, methodId, v.m);
  const verifier = await verifierB64(kek, v.vaultId, methodId);
  return api('POST', `/vaults/${v.vaultId}/unlock/${seg(methodId)}`, { body: { kind, kdf, wrapped, verifier } });
}

/** Replaces the passphrase method. */
export async function changePassphrase(passphrase) {
  const salt = c.randomBytes(16);
  const kek = await c.passphraseKek(passphrase, salt, c.PASSPHRASE_MIN_ITERATIONS);
  try {
    await putUnlockMethod('passphrase', 'passphrase', { alg: 'pbkdf2-sha256', salt: c.b64(salt), iterations: c.PASSPHRASE_MIN_ITERATIONS }, kek);
  } finally { c.wipe(kek); }
}

/** Replaces the recovery method with a fresh code; returns the code to show once. */
export async function newRecoveryCode() {
  const code = c.randomBytes(32);
  const kek = await c.recoveryKek(code, current.vaultId);
  try {
    await putUnlockMethod('recovery', 'recovery', { alg: 'hkdf-sha256' }, kek);
    return c.formatRecoveryCode(code);
  } finally { c.wipe(code, kek); }
}

/** Ends every owner session of the vault on the server, then locks here. */
export async function logoutEverywhere() {
  await api('POST', '/session/revoke-all', { body: {} });
  lock();
}
