// RFC 6238 one-time codes, computed locally with WebCrypto HMAC (SHA-1,
// SHA-256 or SHA-512), like src/crypto/totp.rs. A stored TOTP value is an
// `otpauth://totp/…` URI or a bare base32 secret.

const ALGORITHMS = { SHA1: 'SHA-1', SHA256: 'SHA-256', SHA512: 'SHA-512' };

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Decodes a base32 secret as people paste it: spaces, case and `=` padding
 * ignored; unused low bits of the last character ignored (authenticator apps
 * accept secrets of any length, so a strict decoder would refuse working ones).
 */
function decodeSecret(s) {
  const clean = s.replace(/\s/g, '').toUpperCase().replace(/=+$/, '');
  if (!clean) throw new Error('TOTP secret is empty');
  const out = [];
  let bits = 0, value = 0;
  for (const c of clean) {
    const v = BASE32.indexOf(c);
    if (v < 0) throw new Error('TOTP secret must be base32 (letters A-Z and digits 2-7)');
    value = ((value << 5) | v) & 0xffff; bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  if (out.length === 0) throw new Error('TOTP secret is too short');
  return new Uint8Array(out);
}

/**
 * Parses a stored TOTP value into {secret, digits, period, algorithm}.
 * Throws with a message a person can act on.
 */
export function parseTotp(value) {
  const s = value.trim();
  if (!/^otpauth:\/\//i.test(s)) return { secret: decodeSecret(s), digits: 6, period: 30, algorithm: 'SHA-1' };
  let url;
  try { url = new URL(s); } catch { throw new Error('not a valid otpauth URI'); }
  if (url.host.toLowerCase() !== 'totp') throw new Error('only otpauth://totp/ URIs are supported');
  const p = {};
  for (const [k, v] of url.searchParams) p[k.toLowerCase()] = v;
  if (!p.secret) throw new Error('otpauth URI has no secret parameter');
  const digits = p.digits ? Number(p.digits) : 6;
  const period = p.period ? Number(p.period) : 30;
  const algorithm = ALGORITHMS[(p.algorithm || 'SHA1').toUpperCase().replace('-', '')];
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new Error('otpauth digits must be 6 to 10');
  if (!Number.isInteger(period) || period < 1 || period > 3600) throw new Error('otpauth period must be 1 to 3600 seconds');
  if (!algorithm) throw new Error('otpauth algorithm must be SHA1, SHA256 or SHA512');
  return { secret: decodeSecret(p.secret), digits, period, algorithm };
}

/** The code for the period containing `unixSeconds`, zero-padded. */
export async function totpCode(t, unixSeconds) {
  const counter = Math.floor(unixSeconds / t.period);
  const msg = new Uint8Array(8);
  const view = new DataView(msg.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  const key = await crypto.subtle.importKey('raw', t.secret, { name: 'HMAC', hash: t.algorithm }, false, ['sign']);
  const h = new Uint8Array(await crypto.subtle.sign('HMAC', key, msg));
  const offset = h[h.length - 1] & 0x0f;
  const bin = ((h[offset] & 0x7f) * 2 ** 24) + (h[offset + 1] << 16) + (h[offset + 2] << 8) + h[offset + 3];
  return String(bin % 10 ** t.digits).padStart(t.digits, '0');
}

/** Seconds until the code at `unixSeconds` changes. */
export function secondsLeft(t, unixSeconds) { return t.period - (Math.floor(unixSeconds) % t.period); }
