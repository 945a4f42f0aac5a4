// The browser's crypto (src/web/assets/js/crypto.js and totp.js, run by
// Chromium's WebCrypto inside the served page) reproduces the known answers
// of shared/test-vectors.json: HKDF keys, owner verifier, K1 check, title
// index, the three sealed values, the passphrase/recovery/passkey KEKs and
// wrapped masters, the unlock proofs and verifiers, and the client credential. The project keeps a copy of
// the vectors here; when ../shared/test-vectors.json exists (next to the
// repository, or in $CLAVITOR_SHARED_DIR) it is checked too. Also RFC 6238's TOTP vectors.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startServer, launch, openPage, assetVersion } from './harness.mjs';

const OWN = JSON.parse(readFileSync(new URL('./test-vectors.json', import.meta.url), 'utf8'));
const SHARED_PATH = join(process.env.CLAVITOR_SHARED_DIR || join(ROOT, '..', 'shared'), 'test-vectors.json');

let server, browser, w, version;
before(async () => {
  server = await startServer();
  browser = await launch();
  w = await openPage(browser, server.url);
  await w.page.goto(`${server.url}/`);
  await w.page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  version = await assetVersion(w.page);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Computes every vector's answer in the page, with the page's own modules. */
function computeInBrowser(v) {
  return w.page.evaluate(async ({ v, version }) => {
    const c = await import(`/assets/${version}/js/crypto.js`);
    const m = c.unhex(v.master_secret);
    const keys = await c.deriveKeys(m, v.vault_id);
    const out = {
      hkdf: {
        K_auth: c.hex(keys.auth), K1: c.hex(keys.k1), K2: c.hex(keys.k2), K3: c.hex(keys.k3),
        K_idx: c.hex(await c.titleKey(keys.k1, v.vault_id)),
      },
      owner_verifier: c.hex(await c.ownerVerifier(keys.auth)),
      l1_check: c.hex(await c.l1Check(keys.k1)),
      title_idx: c.hex(await c.titleIndex(await c.titleKey(keys.k1, v.vault_id), v.title_index.title)),
      sealed: [],
    };
    const keyOf = { K1: keys.k1, K2: keys.k2, K3: keys.k3 };
    for (const s of v.sealed) {
      const aad = c.fieldAad(v.vault_id, v.entry_id, s.name, s.tier);
      const sealed = await c.seal(keyOf[s.key], s.tier, aad, s.plaintext_utf8, c.unhex(s.nonce));
      const opened = await c.open(keyOf[s.key], s.tier, aad, s.sealed);
      let moved = 'opened';
      try { await c.open(keyOf[s.key], s.tier, c.fieldAad(v.vault_id, v.agent_id, s.name, s.tier), s.sealed); } catch { moved = 'refused'; }
      out.sealed.push({ aad, sealed, opened, moved });
    }
    const u = v.unlock;
    const passKek = await c.passphraseKek(u.passphrase.passphrase, c.unhex(u.passphrase.salt), u.passphrase.iterations);
    const code = c.unhex(u.recovery.recovery_code);
    const recKek = await c.recoveryKek(code, v.vault_id);
    const display = c.formatRecoveryCode(code);
    out.unlock = {
      passphrase: {
        kek: c.hex(passKek), aad: c.unlockAad(v.vault_id, 'passphrase'),
        wrapped: await c.wrapMaster(passKek, v.vault_id, 'passphrase', m, c.unhex(u.passphrase.nonce)),
        unwrapped: c.hex(await c.unwrapMaster(passKek, v.vault_id, 'passphrase', u.passphrase.wrapped)),
        // NFC: a decomposed é derives the same key as the precomposed one.
        nfc: c.hex(await c.passphraseKek('cafe\u0301', new Uint8Array(16), 600000)) === c.hex(await c.passphraseKek('caf\u00e9', new Uint8Array(16), 600000)),
      },
      recovery: {
        display, parsed: c.hex(c.parseRecoveryCode(display.toLowerCase().replace(/-/g, ' '))),
        kek: c.hex(recKek), aad: c.unlockAad(v.vault_id, 'recovery'),
        wrapped: await c.wrapMaster(recKek, v.vault_id, 'recovery', m, c.unhex(u.recovery.nonce)),
        unwrapped: c.hex(await c.unwrapMaster(recKek, v.vault_id, 'recovery', u.recovery.wrapped)),
      },
      passkey: {
        prf_eval_input: c.hex(await c.prfEvalInput()),
        kek: c.hex(await c.prfKek(c.unhex(u.passkey.prf_output), v.vault_id)),
      },
      proofs: [],
    };
    // unlock.proofs: from the passphrase, recovery and passkey KEKs, in that order.
    const keks = [passKek, recKek, await c.prfKek(c.unhex(u.passkey.prf_output), v.vault_id)];
    for (const [i, p] of (u.proofs || []).entries()) {
      const proof = await c.unlockProof(keks[i], v.vault_id, p.method_id);
      out.unlock.proofs.push({ info: c.LABEL_UNLOCK_PROOF + p.method_id, proof: c.hex(proof), verifier: c.hex(await c.unlockVerifier(proof)) });
    }
    const cc = v.client_credential;
    out.credential = c.encodeCredential(cc.server_url, cc.wire_token, v.vault_id, c.unhex(cc.K2));
    return out;
  }, { v, version });
}

/** Asserts the page's answers equal the vectors'. */
function check(v, got, source) {
  for (const k of ['K_auth', 'K1', 'K2', 'K3', 'K_idx']) assert.equal(got.hkdf[k], v.hkdf[k], `${source}: HKDF ${k}`);
  assert.equal(got.owner_verifier, v.owner_verifier, `${source}: owner_verifier`);
  assert.equal(got.l1_check, v.l1_check, `${source}: l1_check`);
  assert.equal(got.title_idx, v.title_index.title_idx, `${source}: title_idx`);
  v.sealed.forEach((s, i) => {
    assert.equal(got.sealed[i].aad, s.aad_ascii, `${source}: AAD of ${s.what}`);
    assert.equal(got.sealed[i].sealed, s.sealed, `${source}: sealed ${s.what}`);
    assert.equal(got.sealed[i].opened, s.plaintext_utf8, `${source}: opened ${s.what}`);
    assert.equal(got.sealed[i].moved, 'refused', `${source}: ${s.what} moved to another entry must not open`);
  });
  const u = v.unlock;
  assert.equal(got.unlock.passphrase.kek, u.passphrase.kek, `${source}: passphrase KEK`);
  assert.equal(got.unlock.passphrase.aad, u.passphrase.aad_ascii, `${source}: passphrase AAD`);
  assert.equal(got.unlock.passphrase.wrapped, u.passphrase.wrapped, `${source}: passphrase wrapped`);
  assert.equal(got.unlock.passphrase.unwrapped, v.master_secret, `${source}: passphrase unwrap`);
  assert.equal(got.unlock.passphrase.nfc, true, `${source}: NFC normalization`);
  assert.equal(got.unlock.recovery.display, u.recovery.recovery_code_display, `${source}: recovery display`);
  assert.equal(got.unlock.recovery.parsed, u.recovery.recovery_code, `${source}: recovery parse`);
  assert.equal(got.unlock.recovery.kek, u.recovery.kek, `${source}: recovery KEK`);
  assert.equal(got.unlock.recovery.aad, u.recovery.aad_ascii, `${source}: recovery AAD`);
  assert.equal(got.unlock.recovery.wrapped, u.recovery.wrapped, `${source}: recovery wrapped`);
  assert.equal(got.unlock.recovery.unwrapped, v.master_secret, `${source}: recovery unwrap`);
  assert.equal(got.unlock.passkey.prf_eval_input, u.passkey.prf_eval_input, `${source}: PRF eval input`);
  assert.equal(got.unlock.passkey.kek, u.passkey.kek, `${source}: PRF KEK`);
  assert.ok(Array.isArray(u.proofs) && u.proofs.length === 3, `${source}: unlock.proofs has three vectors`);
  assert.equal(u.proofs[2].method_id, u.passkey.credential_id_b64, `${source}: passkey proof uses the credential id`);
  u.proofs.forEach((p, i) => {
    assert.equal(got.unlock.proofs[i].info, p.info_ascii, `${source}: proof info ${p.method_id}`);
    assert.equal(got.unlock.proofs[i].proof, p.proof, `${source}: unlock proof ${p.method_id}`);
    assert.equal(got.unlock.proofs[i].verifier, p.verifier_sha256, `${source}: verifier ${p.method_id}`);
  });
  assert.equal(got.credential, v.client_credential.credential, `${source}: client credential`);
}

test('browser crypto reproduces the project copy of the vectors', { timeout: 120000 }, async () => {
  check(OWN, await computeInBrowser(OWN), 'tests/browser/test-vectors.json');
  w.assertClean();
});

test('browser crypto reproduces ../shared/test-vectors.json', { timeout: 120000 }, async (t) => {
  if (!existsSync(SHARED_PATH)) {
    // Loud, like `make check-shared`: a fresh clone without ../shared checks only the project copy.
    console.log(`!!! ${SHARED_PATH} not found: only the project copy of the vectors was checked !!!`);
    t.diagnostic('shared vectors absent');
    return;
  }
  const shared = JSON.parse(readFileSync(SHARED_PATH, 'utf8'));
  check(shared, await computeInBrowser(shared), SHARED_PATH);
  w.assertClean();
});

test('browser TOTP reproduces RFC 6238 (SHA-1, SHA-256, SHA-512)', { timeout: 60000 }, async () => {
  const got = await w.page.evaluate(async (version) => {
    const c = await import(`/assets/${version}/js/crypto.js`);
    const t = await import(`/assets/${version}/js/totp.js`);
    const b32 = (s) => c.base32(new TextEncoder().encode(s));
    const uri = (secret, alg) => `otpauth://totp/x?secret=${secret}&digits=8&algorithm=${alg}`;
    const cases = [
      [uri(b32('12345678901234567890'), 'SHA1'), 59], [uri(b32('12345678901234567890'), 'SHA1'), 1111111109],
      [uri(b32('12345678901234567890123456789012'), 'SHA256'), 59], [uri(b32('12345678901234567890123456789012'), 'SHA256'), 20000000000],
      [uri(b32('1234567890123456789012345678901234567890123456789012345678901234'), 'SHA512'), 59],
      [uri(b32('1234567890123456789012345678901234567890123456789012345678901234'), 'SHA512'), 1234567890],
    ];
    const codes = [];
    for (const [u, time] of cases) codes.push(await t.totpCode(t.parseTotp(u), time));
    // A bare base32 secret with spaces and lower case: 6 digits, SHA-1, 30 s.
    codes.push(await t.totpCode(t.parseTotp('gezd gnbv gy3t qojq gezd gnbv gy3t qojq'), 59));
    return codes;
  }, version);
  assert.deepEqual(got, ['94287082', '07081804', '46119246', '77737706', '90693936', '93441116', '287082']);
  w.assertClean();
});
