// Agent integrations in the web UI (SPEC 13): the entry editor sets
// "revealable to agents" and allowed destination hosts; `clavitor mcp`
// (driven over stdin as an MCP client would) honours both; the audit page
// shows the destination host of each brokered resolution.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launch, openPage, shots, createVaultInUi, nav, statusSays, BIN } from './harness.mjs';

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

/** One `clavitor mcp` run with these JSON-RPC messages; the parsed replies. */
function mcp(credential, messages) {
  const xdg = mkdtempSync(join(tmpdir(), 'clavitor-mcp-'));
  try {
    const input = messages.map((m) => JSON.stringify(m)).join('\n') + '\n';
    const r = spawnSync(BIN, ['mcp'], { input, env: { PATH: process.env.PATH, XDG_CONFIG_HOME: xdg, CLAVITOR_CREDENTIAL: credential }, encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  } finally {
    rmSync(xdg, { recursive: true, force: true });
  }
}

const call = (id, name, args) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

test('revealable entries and allowed hosts from the editor; destination hosts on the audit page', { timeout: 240000 }, async () => {
  const { page } = w;
  await createVaultInUi(page, server.url, 'dana', 'a long enough passphrase');
  await nav(page, 'Scopes');
  await page.getByLabel('New scope name').fill('bots');
  await page.click('#scope-create');
  await statusSays(page, 'Created scope “bots”');

  // Two logins: one revealable, one that may be sent to 127.0.0.2 only.
  for (const [title, reveal, hosts] of [['Shared', true, ''], ['Guarded', false, '127.0.0.2\n*.internal.example']]) {
    await nav(page, 'Entries');
    await page.getByRole('link', { name: 'New entry' }).click();
    await page.getByLabel('Title').fill(title);
    await page.locator('#field-password').fill(`pw-${title}-0123456789`);
    await page.check('[data-scope="0001"]');
    if (reveal) await page.check('#entry-agent-reveal');
    await page.getByLabel('Allowed destination hosts').fill(hosts);
    await page.click('#entry-save');
    await page.getByRole('heading', { name: title }).waitFor();
  }
  await page.locator('#entry-allowed-hosts', { hasText: '127.0.0.2, *.internal.example' }).waitFor();
  await shots(page, 'entry-allowed-hosts');
  // The editor shows the saved options again.
  await page.getByRole('link', { name: 'Edit' }).click();
  assert.equal(await page.getByLabel('Allowed destination hosts').inputValue(), '127.0.0.2\n*.internal.example');
  assert.equal(await page.isChecked('#entry-agent-reveal'), false);

  await nav(page, 'Agents');
  await page.getByRole('link', { name: 'New agent' }).click();
  await page.getByLabel('Name').fill('mcp-bot');
  await page.check('[data-scope="0001"]');
  await page.click('#agent-save');
  const credential = (await page.locator('#agent-credential').inputValue()).trim();
  await page.click('#credential-done');

  // Nothing listens on these ports: the point is which requests clavitor
  // is willing to resolve, and what the audit log records.
  const replies = mcp(credential, [
    call(1, 'reveal_secret', { reference: 'clavitor://Shared/password' }),
    call(2, 'reveal_secret', { reference: 'clavitor://Guarded/password' }),
    call(3, 'http_request', { url: 'http://127.0.0.2:9/', headers: { 'X-Key': 'clavitor://Guarded/password' } }),
    call(4, 'http_request', { url: 'http://127.0.0.3:9/', headers: { 'X-Key': 'clavitor://Guarded/password' } }),
  ]);
  const byId = (id) => replies.find((r) => r.id === id).result;
  assert.equal(byId(1).structuredContent.value, 'pw-Shared-0123456789');
  assert.equal(byId(2).isError, true);
  assert.match(byId(3).content[0].text, /request failed/);
  assert.match(byId(4).content[0].text, /destination host 127\.0\.0\.3 is not allowed/);
  assert.ok(!JSON.stringify(replies.filter((r) => r.id !== 1)).includes('pw-'), 'no other message carries a value');

  await nav(page, 'Audit');
  await page.locator('#audit-rows tr', { hasText: '127.0.0.3' }).filter({ hasText: 'host_denied' }).first().waitFor();
  await page.locator('#audit-rows tr', { hasText: '127.0.0.2' }).filter({ hasText: 'success' }).first().waitFor();
  await shots(page, 'audit-destination-host');
});
