// A vault made by the previous release (tests/legacy-v1.0: no
// unlock verifiers) unlocks in the web UI by handle + passphrase and by
// recovery code; each unlock adds the verifier of the method it used, after
// which the server no longer releases that method's wrapped copy without a
// proof (issue 12, item 1).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startServer, launch, openPage } from './harness.mjs';

const FIXTURE = join(ROOT, 'tests/legacy-v1.0');
const fx = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8'));

let server, browser, w;
before(async () => {
  server = await startServer({ dataFrom: FIXTURE });
  browser = await launch();
  w = await openPage(browser, server.url);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** POST .../open with a made-up proof: the status says whether legacy release is still on. */
async function guessStatus(method) {
  const res = await fetch(`${server.url}/api/v1/vaults/${fx.vault_id}/unlock/${method}/open`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ proof: 'A'.repeat(43) }),
  });
  const text = await res.text();
  return { status: res.status, text };
}

test('a pre-v1.1 vault unlocks in the web UI and gets its verifiers', { timeout: 180000 }, async () => {
  const { page } = w;
  await page.goto(`${server.url}/`);
  await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  await page.getByLabel('Handle or vault id').fill(fx.handle);
  await page.getByLabel('Passphrase').fill(fx.passphrase);
  await page.click('#unlock-submit');
  await page.getByRole('heading', { name: 'Entries' }).waitFor({ timeout: 60000 });
  await page.getByText(fx.entry_title).first().waitFor();
  // The page added the passphrase verifier: no more release without a proof.
  let g = await guessStatus('passphrase');
  for (let i = 0; i < 50 && g.status !== 401; i++) { await new Promise((r) => setTimeout(r, 100)); g = await guessStatus('passphrase'); }
  assert.equal(g.status, 401, g.text);
  assert.doesNotMatch(g.text, /cv1\./);

  // Lock, unlock by recovery code: that method is upgraded too.
  await page.click('#lock-button');
  await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  await page.getByLabel('Handle or vault id').fill(fx.vault_id);
  await page.click('#toggle-recovery');
  await page.getByLabel('Recovery code').fill(fx.recovery_code);
  await page.click('#unlock-submit');
  await page.getByRole('heading', { name: 'Entries' }).waitFor({ timeout: 60000 });
  g = await guessStatus('recovery');
  assert.equal(g.status, 401, g.text);
  w.assertClean();
});
