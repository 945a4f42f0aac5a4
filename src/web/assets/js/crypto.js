// Every cryptographic operation of the web UI (SPEC sections 3 and 4), on
// WebCrypto only: HKDF-SHA256, HMAC-SHA256, SHA-256, AES-256-GCM, PBKDF2.
// It mirrors src/crypto/ of the Rust reference and reproduces
// shared/test-vectors.json (tests/browser/vectors.test.mjs).
//
// Keys are raw Uint8Arrays held by the caller in memory only; callers wipe
// them with wipe() when the vault locks. Nothing here stores anything.

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

export const LABEL_OWNER_AUTH = 'clavitor v1 owner-auth';
export const LABEL_L1 = 'clavitor v1 l1';
export const LABEL_L2 = 'clavitor v1 l2';
export const LABEL_L3 = 'clavitor v1 l3';
export const LABEL_TITLE_INDEX = 'clavitor v1 title-index';
export const LABEL_RECOVERY_KEK = 'clavitor v1 recovery-kek';
export const LABEL_PRF_KEK = 'clavitor v1 prf-kek';
export const PRF_EVAL_LABEL = 'clavitor v1 prf';
export const L1_CHECK_MESSAGE = 'clavitor v1 l1-check';
export const LABEL_UNLOCK_PROOF = 'clavitor v1 unlock-proof|';
/** The PBKDF2 floor of SPEC section 3 and the ceiling the CLI also enforces. */
export const PASSPHRASE_MIN_ITERATIONS = 600000;
export const PASSPHRASE_MAX_ITERATIONS = 10000000;

/** UTF-8 bytes of a string. */
export function bytes(s) { return utf8.encode(s); }

/** UTF-8 text of bytes; throws on invalid UTF-8. */
export function text(b) { return new TextDecoder('utf-8', { fatal: true }).decode(b); }

/** `n` bytes from the browser's CSPRNG. */
export function randomBytes(n) { return globalThis.crypto.getRandomValues(new Uint8Array(n)); }

/** Overwrites key material with zeros (best effort: JS may hold copies). */
export function wipe(...arrays) {
  for (const a of arrays) if (a instanceof Uint8Array) a.fill(0);
}

/** Concatenates byte arrays. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// ---- encodings -----------------------------------------------------------

/** base64url without padding (SPEC section 2, `B64`). */
export function b64(b) {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes base64url without padding; throws on anything else. */
export function unb64(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Error('not base64url without padding');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Lowercase hex. */
export function hex(b) { return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''); }

/** Decodes hex; throws on odd length or a non-hex character. */
export function unhex(s) {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error('not hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, upper case, no padding. */
export function base32(b) {
  let out = '', bits = 0, value = 0;
  for (const x of b) {
    value = (value << 8) | x; bits += 8;
    while (bits >= 5) { out += B32[(value >>> (bits - 5)) & 31]; bits -= 5; }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes RFC 4648 base32 (upper case, no padding); trailing bits must be zero. */
export function unbase32(s) {
  const out = [];
  let bits = 0, value = 0;
  for (const c of s) {
    const v = B32.indexOf(c);
    if (v < 0) throw new Error('not base32');
    value = (value << 5) | v; bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
    value &= (1 << bits) - 1;
  }
  if (value !== 0) throw new Error('base32 has non-zero trailing bits');
  return new Uint8Array(out);
}

// ---- primitives ----------------------------------------------------------

/** SHA-256. */
export async function sha256(data) { return new Uint8Array(await subtle.digest('SHA-256', data)); }

/** HMAC-SHA256 of `data` (bytes or string) under `key`. */
export async function hmacSha256(key, data) {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, typeof data === 'string' ? bytes(data) : data));
}

/** HKDF-SHA256 with salt = ASCII(vault_id) and info = the label; 32 bytes. */
export async function hkdf32(ikm, vaultId, info) {
  const k = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: bytes(vaultId), info: bytes(info) }, k, 256);
  return new Uint8Array(bits);
}

async function aesKey(key, usage) {
  return subtle.importKey('raw', key, { name: 'AES-GCM' }, false, [usage]);
}

// ---- the key hierarchy ---------------------------------------------------

/** K_auth, K1, K2, K3 from the master secret M (SPEC section 3 table). */
export async function deriveKeys(m, vaultId) {
  return {
    auth: await hkdf32(m, vaultId, LABEL_OWNER_AUTH),
    k1: await hkdf32(m, vaultId, LABEL_L1),
    k2: await hkdf32(m, vaultId, LABEL_L2),
    k3: await hkdf32(m, vaultId, LABEL_L3),
  };
}

/** K_idx = HKDF(K1, "clavitor v1 title-index"). */
export function titleKey(k1, vaultId) { return hkdf32(k1, vaultId, LABEL_TITLE_INDEX); }

/** HMAC-SHA256(K_idx, lowercase(trim(title))). */
export function titleIndex(kIdx, title) { return hmacSha256(kIdx, title.trim().toLowerCase()); }

/** SHA-256(K_auth): what the server keeps to check the owner. */
export function ownerVerifier(kAuth) { return sha256(kAuth); }

/** HMAC-SHA256(K1, "clavitor v1 l1-check"). */
export function l1Check(k1) { return hmacSha256(k1, L1_CHECK_MESSAGE); }

// ---- sealed values -------------------------------------------------------

/** AAD of a field value (or, with name "doc", of the L1 document). */
export function fieldAad(vaultId, entryId, name, tier) {
  return `clavitor v1|${vaultId}|${entryId}|${name}|${tier}`;
}

/** AAD of a wrapped master secret. */
export function unlockAad(vaultId, methodId) { return `clavitor v1|${vaultId}|unlock|${methodId}`; }

/**
 * Seals bytes or a string: `cv1.<tier>.<B64(nonce || ciphertext || tag)>`.
 * `nonce` is only for known-answer tests; leave it out otherwise.
 */
export async function seal(key, tier, aad, plaintext, nonce = randomBytes(12)) {
  const data = typeof plaintext === 'string' ? bytes(plaintext) : plaintext;
  const k = await aesKey(key, 'encrypt');
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: bytes(aad), tagLength: 128 }, k, data));
  return `cv1.${tier}.${b64(concat(nonce, ct))}`;
}

/** Opens a sealed value to bytes; throws on a wrong tier, key, AAD or form. */
export async function openBytes(key, tier, aad, sealed) {
  const prefix = `cv1.${tier}.`;
  if (typeof sealed !== 'string' || !sealed.startsWith(prefix)) throw new Error(`not a sealed ${tier} value`);
  const raw = unb64(sealed.slice(prefix.length));
  if (raw.length < 28) throw new Error('sealed value too short');
  const k = await aesKey(key, 'decrypt');
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: raw.subarray(0, 12), additionalData: bytes(aad), tagLength: 128 }, k, raw.subarray(12)));
  } catch {
    throw new Error('authentication failed: wrong key, or the value was moved or altered');
  }
}

/** Opens a sealed value to text. */
export async function open(key, tier, aad, sealed) { return text(await openBytes(key, tier, aad, sealed)); }

// ---- unlock methods ------------------------------------------------------

/** Throws unless PBKDF2 iterations are within the bounds the CLI also enforces. */
export function checkIterations(n) {
  if (!Number.isInteger(n) || n < PASSPHRASE_MIN_ITERATIONS || n > PASSPHRASE_MAX_ITERATIONS) {
    throw new Error(`the server asks for ${n} PBKDF2 iterations; expected ${PASSPHRASE_MIN_ITERATIONS} to ${PASSPHRASE_MAX_ITERATIONS}`);
  }
}

/** PBKDF2-HMAC-SHA256(NFC(passphrase), salt, iterations), 32 bytes. */
export async function passphraseKek(passphrase, salt, iterations) {
  const pw = bytes(passphrase.normalize('NFC'));
  const k = await subtle.importKey('raw', pw, 'PBKDF2', false, ['deriveBits']);
  wipe(pw);
  return new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, k, 256));
}

/** HKDF(recovery code bytes, salt vault_id, "clavitor v1 recovery-kek"). */
export function recoveryKek(code, vaultId) { return hkdf32(code, vaultId, LABEL_RECOVERY_KEK); }

/** The WebAuthn PRF evaluation input: SHA-256("clavitor v1 prf"). */
export function prfEvalInput() { return sha256(bytes(PRF_EVAL_LABEL)); }

/** HKDF(PRF output, salt vault_id, "clavitor v1 prf-kek"). */
export function prfKek(prfOutput, vaultId) { return hkdf32(prfOutput, vaultId, LABEL_PRF_KEK); }

/** Shows a recovery code: base32 in dash-separated groups of four. */
export function formatRecoveryCode(code) { return base32(code).match(/.{1,4}/g).join('-'); }

/**
 * Reads a recovery code as a person types it (case, spaces, dashes ignored).
 * Errors say what to fix, like the CLI's.
 */
export function parseRecoveryCode(s) {
  const plain = [...s].filter((c) => c !== '-' && !/\s/.test(c)).map((c) => c.toUpperCase());
  for (let i = 0; i < plain.length; i++) {
    if (!B32.includes(plain[i])) {
      const hint = { 0: ' (did you mean the letter O?)', 1: ' (did you mean the letter I?)', 8: ' (did you mean the letter B?)' }[plain[i]] || '';
      throw new Error(`character ${i + 1} is not used in recovery codes (they use A-Z and 2-7)${hint}`);
    }
  }
  if (plain.length !== 52) throw new Error(`expected 52 letters and digits (13 groups of 4), found ${plain.length}`);
  try {
    return unbase32(plain.join(''));
  } catch {
    throw new Error('the last character cannot end a recovery code; check it for a typo');
  }
}

/**
 * unlock_proof = HKDF(KEK, salt vault_id, "clavitor v1 unlock-proof|" + method_id):
 * what the client shows the server to receive the wrapped copy of M (SPEC section 3, v1.1).
 */
export function unlockProof(kek, vaultId, methodId) { return hkdf32(kek, vaultId, LABEL_UNLOCK_PROOF + methodId); }

/** verifier = SHA-256(unlock_proof): what the server keeps to check proofs. */
export function unlockVerifier(proof) { return sha256(proof); }

/** Wraps M under an unlock KEK (tier label l3, unlock AAD). */
export function wrapMaster(kek, vaultId, methodId, m, nonce) {
  return seal(kek, 'l3', unlockAad(vaultId, methodId), m, nonce);
}

/** Unwraps M; throws for a wrong passphrase, code or passkey. */
export async function unwrapMaster(kek, vaultId, methodId, wrapped) {
  const m = await openBytes(kek, 'l3', unlockAad(vaultId, methodId), wrapped);
  if (m.length !== 32) throw new Error('a wrapped master secret holds 32 bytes');
  return m;
}

// ---- client credential ---------------------------------------------------

/**
 * `cvc1.` + B64(0x01 || u16 len || server URL || u16 len || wire token ||
 * vault_id (16 raw) || K2): what the owner hands to an agent (SPEC section 4).
 */
export function encodeCredential(serverUrl, wireToken, vaultIdHex, k2) {
  const url = bytes(serverUrl);
  const token = bytes(wireToken);
  if (url.length === 0 || url.length > 0xffff) throw new Error('server URL must be 1 to 65535 bytes');
  if (token.length === 0 || token.length > 0xffff || !/^[\x21-\x7e]+$/.test(wireToken)) throw new Error('wire token must be printable ASCII');
  const u16 = (n) => new Uint8Array([n >> 8, n & 255]);
  const vault = unhex(vaultIdHex);
  if (vault.length !== 16 || k2.length !== 32) throw new Error('vault id must be 16 bytes and K2 32');
  const raw = concat(new Uint8Array([1]), u16(url.length), url, u16(token.length), token, vault, k2);
  const out = `cvc1.${b64(raw)}`;
  wipe(raw);
  return out;
}
