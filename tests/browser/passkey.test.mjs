// Passkey registration and unlock with the WebAuthn PRF extension, against
// a DevTools virtual authenticator (CTAP2, internal, resident keys, user
// verification, PRF). WebAuthn needs a host name as relying party id, so
// this test opens the UI on http://localhost (a secure context).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, shots } from './harness.mjs';

const PASSPHRASE = 'passkeys are nice too';

let server, browser, w;
before(async () => {
  server = await startServer();
  browser = await launch();
  w = await openPage(browser, `http://localhost:${server.port}`);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('register a PRF passkey, lock, unlock with it', { timeout: 180000 }, async () => {
  const { page } = w;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, hasPrf: true, automaticPresenceSimulation: true,
    },
  });

  await page.goto(`http://localhost:${server.port}/#/create`);
  await page.getByLabel('Handle (optional)').fill('bob@example.org');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Repeat the passphrase').fill(PASSPHRASE);
  await page.click('#create-submit');
  await page.locator('#recovery-code').waitFor({ timeout: 30000 });
  const vaultId = (await page.locator('#vault-id').textContent()).trim();
  await page.check('#recovery-ack');
  await page.click('#recovery-done');

  // Register: navigator.credentials.create with extensions.prf, M wrapped under the PRF KEK.
  await page.locator('#mainnav').getByRole('link', { name: 'Settings', exact: true }).click();
  assert.equal(await page.locator('#passkey-problem').count(), 0, 'passkeys are offered on localhost');
  await page.click('#passkey-add');
  await page.locator('#status', { hasText: 'Passkey added' }).waitFor({ timeout: 30000 });
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].isResidentCredential, true);
  const credId = credentials[0].credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

  // The server now answers the discoverable lookup for that credential:
  // the vault and the KDF only; the wrapped M needs a proof (SPEC section 3, v1.1).
  const found = await (await fetch(`${server.url}/api/v1/unlock/passkey/${credId}`)).json();
  assert.equal(found.vault_id, vaultId);
  assert.deepEqual(found, { vault_id: vaultId, kind: 'passkey', kdf: { alg: 'hkdf-sha256' } });
  const guess = await fetch(`${server.url}/api/v1/vaults/${vaultId}/unlock/${credId}/open`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ proof: 'A'.repeat(43) }),
  });
  assert.equal(guess.status, 401, 'a wrong proof gets no wrapped copy');
  assert.doesNotMatch(await guess.text(), /cv1\./);

  // Lock, then unlock with the passkey alone (discoverable get(), no vault id typed).
  await page.click('#lock-button');
  await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  await shots(page, 'unlock-passkey');
  await page.click('#passkey-unlock');
  await page.getByRole('heading', { name: 'Entries' }).waitFor({ timeout: 30000 });
  await page.locator('#status', { hasText: 'Unlocked with a passkey.' }).waitFor();
  assert.match(await page.locator('#vault-name').getAttribute('title'), new RegExp(vaultId));

  // The session works: the owner can write.
  await page.locator('#mainnav').getByRole('link', { name: 'Scopes', exact: true }).click();
  await page.getByLabel('New scope name').fill('after-passkey');
  await page.click('#scope-create');
  await page.locator('#status', { hasText: 'Created scope' }).waitFor();

  // A passkey without PRF is refused with a clear message, not a broken unwrap.
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, hasPrf: false, automaticPresenceSimulation: true },
  });
  await page.locator('#mainnav').getByRole('link', { name: 'Settings', exact: true }).click();
  await page.click('#passkey-add');
  await page.locator('#alert', { hasText: 'PRF extension' }).waitFor({ timeout: 30000 });

  w.assertClean();
});
