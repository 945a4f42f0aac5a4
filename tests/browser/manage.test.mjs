// Managing scopes, entries and agents from the web UI, checked through the
// CLI in agent mode: scope create/rename/delete, agent limits and IP
// allowlist, rotate (the old credential dies), a rate-limit lockdown that
// the page shows and clears, entry and agent deletion, and replacing the
// passphrase and the recovery code.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

/** `clavitor get TITLE --field password` as the agent holding `credential`. */
const agentGet = (credential, title) => cli(['get', title, '--field', 'password'], { CLAVITOR_CREDENTIAL: credential });

test('scopes, agents (limits, rotate, lock, unlock, delete) and entry deletion', { timeout: 240000 }, async () => {
  const { page } = w;
  const { recoveryCode: oldCode } = await createVaultInUi(page, server.url, 'carol', 'a long enough passphrase');

  // Scopes: create two, rename one, delete it.
  await nav(page, 'Scopes');
  for (const name of ['alpha', 'beta']) {
    await page.getByLabel('New scope name').fill(name);
    await page.click('#scope-create');
    await statusSays(page, `Created scope “${name}”`);
  }
  await page.getByLabel('Name of scope 0002').fill('gamma');
  await page.click('[data-rename="0002"]');
  await statusSays(page, 'Renamed scope 0002');
  assert.equal(await page.getByLabel('Name of scope 0002').inputValue(), 'gamma');
  await page.click('[data-delete="0002"]');
  await page.locator('#confirm[open]').waitFor();
  await shots(page, 'confirm-dialog');
  await page.click('#confirm-ok');
  await statusSays(page, 'Deleted scope “gamma”');
  assert.equal(await page.locator('#scope-list li').count(), 1);

  // Three logins in scope alpha.
  for (const title of ['One', 'Two', 'Three']) {
    await nav(page, 'Entries');
    await page.getByRole('link', { name: 'New entry' }).click();
    await page.getByLabel('Title').fill(title);
    await page.locator('#field-password').fill(`pw-${title}`);
    await page.check('[data-scope="0001"]');
    await page.click('#entry-save');
    await page.getByRole('heading', { name: title }).waitFor();
  }

  // An agent limited to one distinct entry per minute, from loopback only.
  await nav(page, 'Agents');
  await page.getByRole('link', { name: 'New agent' }).click();
  await page.getByLabel('Name').fill('ratey');
  await page.check('[data-scope="0001"]');
  await page.getByLabel('Allowed addresses (optional)').fill('127.0.0.1/32\n::1/128');
  await page.getByLabel('Entries per minute').fill('1');
  await page.getByLabel('Entries per hour').fill('5');
  await page.click('#agent-save');
  const first = (await page.locator('#agent-credential').inputValue()).trim();
  await page.click('#credential-done');
  let got = agentGet(first, 'One');
  assert.equal(got.status, 0, got.stderr);
  assert.equal(got.stdout.trim(), 'pw-One');

  // Rotate: the old credential stops working, the new one reads.
  await page.click('#agent-rotate');
  await page.click('#confirm-ok');
  const second = (await page.locator('#agent-credential').inputValue()).trim();
  assert.notEqual(second, first);
  await page.click('#credential-done');
  assert.equal(agentGet(first, 'One').status, 3, 'rotated credential is refused');
  got = agentGet(second, 'One');
  assert.equal(got.status, 0, got.stderr);

  // Two violations of the per-minute limit lock the agent; the page shows it and clears it.
  assert.equal(agentGet(second, 'Two').status, 5, 'rate limited');
  assert.equal(agentGet(second, 'Three').status, 5, 'locked');
  await page.reload();
  await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  await page.getByLabel('Handle or vault id').fill('carol');
  await page.getByLabel('Passphrase').fill('a long enough passphrase');
  await page.click('#unlock-submit');
  await page.getByRole('heading', { name: 'Entries' }).waitFor({ timeout: 30000 });
  await nav(page, 'Agents');
  await page.locator('#agent-table .pill', { hasText: 'Locked' }).waitFor();
  await page.getByRole('link', { name: 'ratey' }).click();
  await shots(page, 'agent-locked');
  await page.click('#agent-unlock');
  await statusSays(page, 'Agent unlocked.');
  await page.locator('.pill', { hasText: 'Active' }).waitFor();

  // The audit page lists the refusals with their reasons.
  await nav(page, 'Audit');
  await page.selectOption('#audit-outcome', 'denied');
  await page.click('#audit-apply');
  await page.locator('#audit-rows tr', { hasText: 'rate_limited_locked' }).first().waitFor();
  await page.locator('#audit-rows tr', { hasText: 'token_invalid' }).first().waitFor();
  // Paging with the server's `next` cursor.
  await page.selectOption('#audit-outcome', '');
  await page.selectOption('#audit-limit', '10');
  await page.click('#audit-apply');
  await page.locator('#audit-page', { hasText: 'Page 1: 10 events.' }).waitFor();
  const firstOfPage1 = await page.locator('#audit-rows tr').first().textContent();
  await page.click('#audit-older');
  await page.locator('#audit-page', { hasText: 'Page 2:' }).waitFor();
  assert.notEqual(await page.locator('#audit-rows tr').first().textContent(), firstOfPage1);
  await page.click('#audit-newer');
  await page.locator('#audit-page', { hasText: 'Page 1:' }).waitFor();
  assert.equal(await page.locator('#audit-rows tr').first().textContent(), firstOfPage1);

  // Delete an entry and the agent.
  await nav(page, 'Entries');
  await page.getByRole('link', { name: /Three/ }).click();
  await page.click('#entry-delete');
  await page.click('#confirm-ok');
  await statusSays(page, 'Deleted “Three”');
  // The list re-renders after the status line; wait for it rather than race it.
  await page.waitForFunction(() => document.querySelectorAll('#entry-list li').length === 2, null, { timeout: 10000 });
  assert.equal(await page.locator('#entry-list li').count(), 2);
  await nav(page, 'Agents');
  await page.getByRole('link', { name: 'ratey' }).click();
  await page.click('#agent-delete');
  await page.click('#confirm-ok');
  await statusSays(page, 'Deleted agent “ratey”');
  assert.equal(agentGet(second, 'One').status, 3, 'deleted agent is refused');

  // Settings: a new passphrase and a new recovery code replace the old ones.
  await nav(page, 'Settings');
  await page.getByLabel('New passphrase', { exact: true }).fill('another long passphrase');
  await page.getByLabel('Repeat the new passphrase').fill('another long passphrase');
  await page.click('#passphrase-change');
  await statusSays(page, 'Passphrase changed.');
  await page.click('#recovery-new');
  await page.click('#confirm-ok');
  const newCode = (await page.locator('#recovery-code').textContent()).trim();
  assert.notEqual(newCode, oldCode);
  await page.check('#recovery-ack');
  await page.click('#recovery-done');
  await page.click('#lock-button');
  await page.getByLabel('Handle or vault id').fill('carol');
  await page.click('#toggle-recovery');
  await page.getByRole('textbox', { name: 'Recovery code' }).fill(oldCode);
  await page.click('#unlock-submit');
  await page.locator('#alert', { hasText: 'does not open this vault' }).waitFor();
  await page.getByRole('textbox', { name: 'Recovery code' }).fill(newCode);
  await page.click('#unlock-submit');
  await page.getByRole('heading', { name: 'Entries' }).waitFor({ timeout: 30000 });
  await page.click('#lock-button');
  await page.getByLabel('Handle or vault id').fill('carol');
  await page.getByLabel('Passphrase').fill('a long enough passphrase');
  await page.click('#unlock-submit');
  await page.locator('#alert', { hasText: 'does not open this vault' }).waitFor({ timeout: 30000 });
  await page.getByLabel('Passphrase').fill('another long passphrase');
  await page.click('#unlock-submit');
  await page.getByRole('heading', { name: 'Entries' }).waitFor({ timeout: 30000 });

  w.assertClean();
});
