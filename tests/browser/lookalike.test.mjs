// Issue 12, item 4, in the web UI: an agent with can_write plants an entry
// titled like one of the owner's. Searching the entry list shows the owner
// both entries and which one the agent created; opening each shows who made
// it (the agent's with a warning) and its own value — the page never
// resolves a title to "the" entry. Screenshots: lookalike-list and
// lookalike-entry in target/screenshots/.

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

const entryIdOf = (page) => page.url().match(/#\/entries\/([0-9a-f]{32})$/)[1];

test('a look-alike planted by an agent is shown as the agent’s, next to the owner’s', { timeout: 240000 }, async () => {
  const { page } = w;
  await createVaultInUi(page, server.url, 'dora', 'a long enough passphrase');

  await nav(page, 'Scopes');
  await page.getByLabel('New scope name').fill('shared');
  await page.click('#scope-create');
  await statusSays(page, 'Created scope “shared” (0001)');

  // The owner's entry, in no scope: no agent can read it.
  await nav(page, 'Entries');
  await page.getByRole('link', { name: 'New entry' }).click();
  await page.getByLabel('Title').fill('OwnerOnly');
  await page.locator('#field-password').fill('owner-pw');
  await page.click('#entry-save');
  await page.getByRole('heading', { name: 'OwnerOnly' }).waitFor();
  const ownerEntry = entryIdOf(page);
  assert.equal(await page.locator('#agent-made').count(), 0);
  assert.equal((await page.locator('#entry-created-by').textContent()).trim(), 'You (owner)');

  // An agent that may write into "shared".
  await nav(page, 'Agents');
  await page.getByRole('link', { name: 'New agent' }).click();
  await page.getByLabel('Name').fill('planter');
  await page.check('[data-scope="0001"]');
  await page.check('#agent-write');
  await page.click('#agent-save');
  const credential = (await page.locator('#agent-credential').inputValue()).trim();
  await page.click('#credential-done');
  await page.getByRole('heading', { name: 'planter' }).waitFor();
  const agentId = page.url().match(/([0-9a-f]{32})$/)[1];

  // The attack, through the real CLI in agent mode.
  const put = cli(['put', 'login', '--title', 'OwnerOnly', '--field', 'password=planted-pw', '--scope', '0001'],
    { CLAVITOR_CREDENTIAL: credential });
  assert.equal(put.status, 0, put.stderr);
  const planted = put.stdout.trim();
  assert.match(planted, /^[0-9a-f]{32}$/);
  // The agent itself sees only its own (the owner's is in no scope).
  const mine = cli(['--json', 'get', 'OwnerOnly'], { CLAVITOR_CREDENTIAL: credential });
  assert.equal(mine.status, 0, mine.stderr);
  assert.deepEqual(JSON.parse(mine.stdout).created_by, { kind: 'agent', agent_id: agentId });

  // Search and open: the owner sees both, and which one the agent created.
  await nav(page, 'Entries');
  await page.locator('#entry-search').fill('owneronly');
  const rows = page.locator('#entry-list li');
  await page.waitForFunction(() => document.querySelectorAll('#entry-list li').length === 2, null, { timeout: 10000 });
  const plantedRow = page.locator(`#entry-list li[data-entry="${planted}"]`);
  const ownerRow = page.locator(`#entry-list li[data-entry="${ownerEntry}"]`);
  assert.equal(await rows.count(), 2);
  const badge = plantedRow.locator('.badge-agent');
  assert.match(await badge.textContent(), /^Created by agent “planter” \([0-9a-f]{8}…\)$/);
  assert.equal(await badge.getAttribute('data-created-by'), agentId);
  assert.equal(await ownerRow.locator('.badge-agent').count(), 0, 'the owner’s own entry carries no agent badge');
  assert.equal(await page.locator('#entry-count').textContent(), '2 entries');
  await shots(page, 'lookalike-list');

  await plantedRow.getByRole('link').click();
  await page.getByRole('heading', { name: 'OwnerOnly' }).waitFor();
  assert.equal(entryIdOf(page), planted);
  assert.match(await page.locator('#agent-made').textContent(), /Agent “planter” .* created this entry, not you/);
  assert.match(await page.locator('#entry-created-by').textContent(), /^Agent “planter”/);
  await page.click('[data-reveal="password"]');
  assert.equal(await page.locator('#value-password').textContent(), 'planted-pw');
  await shots(page, 'lookalike-entry');

  await nav(page, 'Entries');
  await page.locator('#entry-search').fill('OwnerOnly');
  await ownerRow.getByRole('link').click();
  await page.getByRole('heading', { name: 'OwnerOnly' }).waitFor();
  assert.equal(entryIdOf(page), ownerEntry);
  assert.equal(await page.locator('#agent-made').count(), 0);
  await page.click('[data-reveal="password"]');
  assert.equal(await page.locator('#value-password').textContent(), 'owner-pw');

  // Once the agent is deleted its entries stay marked, by id.
  await nav(page, 'Agents');
  await page.locator('#agent-table', { hasText: 'planter' }).getByRole('link', { name: 'planter' }).click();
  await page.click('#agent-delete');
  await page.click('#confirm-ok');
  await page.getByRole('heading', { name: 'Agents' }).waitFor();
  await nav(page, 'Entries');
  await page.locator('#entry-search').fill('OwnerOnly');
  assert.equal(await page.locator(`#entry-list li[data-entry="${planted}"] .badge-agent`).textContent(),
    `Created by agent ${agentId} (deleted)`);
  w.assertClean();
});
