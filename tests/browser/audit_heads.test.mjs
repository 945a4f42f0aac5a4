// Issue 12, items 5 and 6 in the web UI: the audit page remembers, for its
// unlocked session only, the chain heads it verified and reports rows
// removed from the end of the chain; repeated refusals show their count.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, launch, openPage, shots, cli, createVaultInUi, nav, statusSays } from './harness.mjs';

let server, browser, w;
before(async () => {
  server = await startServer();
  browser = await launch();
  w = await openPage(browser, server.url);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Runs SQL on the server's database behind its back (the sqlite3 shell). */
function sql(statement) {
  const r = spawnSync('sqlite3', [join(server.dir, 'data', 'clavitor.db'), statement], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('audit page: counted refusals, and truncation caught by the verified head', { timeout: 240000 }, async () => {
  const { page } = w;
  await createVaultInUi(page, server.url, 'dora', 'a long enough passphrase');

  // An agent whose credential is rotated, then used three times: one row
  // for the first refusal, one counted row for the two repeats.
  await nav(page, 'Scopes');
  await page.getByLabel('New scope name').fill('alpha');
  await page.click('#scope-create');
  await statusSays(page, 'Created scope “alpha”');
  await nav(page, 'Agents');
  await page.getByRole('link', { name: 'New agent' }).click();
  await page.getByLabel('Name').fill('old-bot');
  await page.check('[data-scope="0001"]');
  await page.click('#agent-save');
  const old = (await page.locator('#agent-credential').inputValue()).trim();
  await page.click('#credential-done');
  await page.click('#agent-rotate');
  await page.click('#confirm-ok');
  await page.locator('#agent-credential').waitFor();
  await page.click('#credential-done');
  for (let i = 0; i < 3; i++) {
    assert.equal(cli(['get', 'anything'], { CLAVITOR_CREDENTIAL: old }).status, 3, 'rotated credential refused');
  }

  await nav(page, 'Audit');
  await page.selectOption('#audit-outcome', 'denied');
  await page.click('#audit-apply');
  await page.locator('#audit-rows tr', { hasText: 'token_invalid' }).first().waitFor();
  const counted = page.locator('#audit-rows tr', { hasText: 'token_invalid' }).locator('.audit-count');
  assert.equal(await counted.count(), 1, 'one counted row');
  assert.equal((await counted.textContent()).trim(), '×2');
  assert.equal(await page.locator('#audit-rows tr', { hasText: 'token_invalid' }).count(), 2, 'two rows for three refusals');
  await shots(page, 'audit-counted');

  // Verify: intact, up to the newest row.
  await page.click('#audit-verify');
  await statusSays(page, 'The audit chain is intact');
  const head = Number(sql('SELECT MAX(seq) FROM audit'));
  await statusSays(page, `up to row ${head}`);

  // The newest three rows vanish behind the server's back; the chain alone still verifies.
  sql(`DELETE FROM audit WHERE seq > ${head - 3}`);
  await page.click('#audit-verify');
  await page.locator('#alert', { hasText: `no longer reaches row ${head}` }).waitFor({ timeout: 20000 });
  await shots(page, 'audit-truncated');

  // The heads live in this session's memory only: nothing in web storage.
  const stored = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
  assert.deepEqual(stored, [0, 0, '']);
  w.assertClean();
});
