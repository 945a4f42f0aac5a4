// A server with `registration: closed`: the first vault is created in the
// web UI with the one-time setup token the server wrote to its data
// directory; the token works once.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launch, openPage } from './harness.mjs';

let server, browser, w;
before(async () => {
  server = await startServer({ registration: 'closed' });
  browser = await launch();
  w = await openPage(browser, server.url);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('closed registration: the first vault needs the setup token', { timeout: 120000 }, async () => {
  const { page } = w;
  const token = readFileSync(join(server.dir, 'data', 'setup-token'), 'utf8').trim();
  await page.goto(`${server.url}/#/create`);
  await page.getByLabel('Handle (optional)').fill('first@example.org');
  await page.getByLabel('Passphrase', { exact: true }).fill('first owner passphrase');
  await page.getByLabel('Repeat the passphrase').fill('first owner passphrase');
  await page.getByLabel(/Setup token/).fill(token);
  await page.click('#create-submit');
  await page.locator('#recovery-code').waitFor({ timeout: 30000 });
  await page.check('#recovery-ack');
  await page.click('#recovery-done');
  await page.getByRole('heading', { name: 'Entries' }).waitFor();
  w.assertClean();

  // The token is spent: a second vault is refused, with a message that says why.
  await page.click('#lock-button');
  await page.goto(`${server.url}/#/create`);
  await page.getByLabel('Passphrase', { exact: true }).fill('second owner passphrase');
  await page.getByLabel('Repeat the passphrase').fill('second owner passphrase');
  await page.getByLabel(/Setup token/).fill(token);
  await page.click('#create-submit');
  await page.locator('#alert', { hasText: 'setup token was not accepted' }).waitFor({ timeout: 30000 });
  // The refused POST is the one expected error in the console.
  assert.equal(w.errors.length, 1, w.errors.join('\n'));
  assert.match(w.errors[0], /403/);
  assert.deepEqual(w.foreign, []);
});
