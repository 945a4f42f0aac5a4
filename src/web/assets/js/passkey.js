// Passkeys with the WebAuthn PRF extension (SPEC section 3): the PRF output
// for the input SHA-256("clavitor v1 prf") is the key material of an unlock
// KEK. The server stores only M wrapped under that KEK, keyed by the
// credential id; it never verifies an assertion, because holding the PRF
// output is the proof.

import * as c from './crypto.js';
import { putUnlockMethod, unlockWithPrf, vault } from './session.js';

/** Why passkeys cannot work on this page, or null if they may. */
export function passkeyProblem() {
  if (!window.PublicKeyCredential || !navigator.credentials) return 'This browser does not support passkeys.';
  if (!window.isSecureContext) return 'Passkeys need a secure page: open clavitor over HTTPS or on localhost.';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(location.hostname) || location.hostname.includes(':')) {
    return `Passkeys need a host name, not an IP address: open http://localhost:${location.port || 80}/ (or the HTTPS name of this server).`;
  }
  return null;
}

function prfFirst(cred) {
  const out = cred.getClientExtensionResults?.().prf?.results?.first;
  return out ? new Uint8Array(out) : null;
}

/** Asks an authenticator for the PRF output of one credential (or any discoverable one). */
async function assertPrf(evalInput, credentialId) {
  const publicKey = {
    challenge: c.randomBytes(32),
    rpId: location.hostname,
    userVerification: 'required',
    timeout: 120000,
    extensions: { prf: { eval: { first: evalInput } } },
  };
  if (credentialId) publicKey.allowCredentials = [{ type: 'public-key', id: credentialId }];
  const cred = await navigator.credentials.get({ publicKey });
  if (!cred) throw new Error('No passkey was chosen.');
  const prf = prfFirst(cred);
  if (!prf) throw new Error('This passkey does not support the PRF extension, which clavitor needs to derive a key.');
  return { credentialId: new Uint8Array(cred.rawId), prf };
}

/**
 * Registers a new discoverable passkey for the unlocked vault and stores M
 * wrapped under its PRF key. Returns the credential id (B64).
 */
export async function registerPasskey() {
  const problem = passkeyProblem();
  if (problem) throw new Error(problem);
  const v = vault();
  const evalInput = await c.prfEvalInput();
  const label = v.handle || `vault ${v.vaultId.slice(0, 8)}`;
  const cred = await navigator.credentials.create({
    publicKey: {
      challenge: c.randomBytes(32),
      rp: { id: location.hostname, name: 'clavitor' },
      user: { id: c.unhex(v.vaultId), name: label, displayName: `clavitor ${label}` },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      timeout: 120000,
      extensions: { prf: { eval: { first: evalInput } } },
    },
  });
  if (!cred) throw new Error('No passkey was created.');
  const rawId = new Uint8Array(cred.rawId);
  let prf = prfFirst(cred);
  if (!prf) {
    // Many authenticators report PRF support at creation but evaluate it only on assertion.
    if (!cred.getClientExtensionResults?.().prf?.enabled) {
      throw new Error('This authenticator does not support the PRF extension, which clavitor needs to derive a key.');
    }
    prf = (await assertPrf(evalInput, rawId)).prf;
  }
  const methodId = c.b64(rawId);
  const kek = await c.prfKek(prf, v.vaultId);
  c.wipe(prf);
  try {
    await putUnlockMethod(methodId, 'passkey', { alg: 'hkdf-sha256' }, kek);
  } finally { c.wipe(kek); }
  return methodId;
}

/** Unlocks with any discoverable passkey registered for a vault on this server. */
export async function unlockWithPasskey() {
  const problem = passkeyProblem();
  if (problem) throw new Error(problem);
  const { credentialId, prf } = await assertPrf(await c.prfEvalInput(), null);
  try {
    return await unlockWithPrf(c.b64(credentialId), prf);
  } finally { c.wipe(prf); }
}
