// The owner's path through the web UI, in headless Chromium against the
// real binary: create a vault → add a login → reveal its password → create
// an agent → the CLI in agent mode fetches that password with the
// credential the page showed → the audit page shows the access. Along the
// way: scopes, edit with If-Match, import (through the parse contract),
// export, lock, unlock by handle and by recovery code, log out everywhere,
// and a screenshot of every page at desktop and phone width.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launch, openPage, shots, cli, nav, statusSays } from './harness.mjs';

const PASSPHRASE = 'correct horse battery staple';
const PASSWORD = 'S3cret-deploy ✓ pass';
const TITLE = 'GitHub Deploy';

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

test('owner web UI: vault, login, agent, CLI read, audit', { timeout: 240000 }, async () => {
  const { page } = w;
  await page.goto(`${server.url}/`);
  assert.equal(await page.evaluate(() => window.isSecureContext), true, 'http://127.0.0.1 is a secure context (WebCrypto available)');
  assert.equal(await page.evaluate(() => typeof crypto.subtle?.deriveBits), 'function');

  // Locked screens.
  await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  await shots(page, 'unlock');
  await page.click('#create-link');
  await page.getByRole('heading', { name: 'Create a vault' }).waitFor();
  await page.getByLabel('Handle (optional)').fill('alice@example.org');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Repeat the passphrase').fill(PASSPHRASE);
  await shots(page, 'create-vault');
  await page.click('#create-submit');

  // The recovery code, shown once.
  const codeEl = page.locator('#recovery-code');
  await codeEl.waitFor({ timeout: 30000 });
  const recoveryCode = (await codeEl.textContent()).trim();
  assert.match(recoveryCode, /^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$/);
  const vaultId = (await page.locator('#vault-id').textContent()).trim();
  assert.match(vaultId, /^[0-9a-f]{32}$/);
  await shots(page, 'recovery-code');
  await page.check('#recovery-ack');
  await page.click('#recovery-done');

  // Empty vault, then a scope.
  await page.getByRole('heading', { name: 'Entries' }).waitFor();
  assert.equal((await page.locator('#vault-name').textContent()).trim(), 'alice@example.org');
  await shots(page, 'entries-empty');
  await nav(page, 'Scopes');
  await page.getByLabel('New scope name').fill('deploy');
  await page.click('#scope-create');
  await statusSays(page, 'Created scope “deploy” (0001)');
  await shots(page, 'scopes');

  // A login with a password, a TOTP secret and the scope.
  await nav(page, 'Entries');
  await page.getByRole('link', { name: 'New entry' }).click();
  await page.getByLabel('Title').fill(TITLE);
  await page.getByLabel('Web addresses').fill('https://github.com/login');
  await page.locator('#field-username').fill('deploy-user');
  await page.locator('#field-password').fill(PASSWORD);
  await page.locator('#field-totp').fill('otpauth://totp/GitHub:deploy?secret=JBSWY3DPEHPK3PXP&issuer=GitHub');
  await page.check('[data-scope="0001"]');
  await shots(page, 'entry-new');
  await page.click('#entry-save');
  await page.getByRole('heading', { name: TITLE }).waitFor();

  // The password is sealed at rest: the server's answer holds cv1.l2, never the value.
  const pwValue = page.locator('#value-password');
  assert.notEqual(await pwValue.textContent(), PASSWORD, 'masked until revealed');
  await page.click('[data-reveal="password"]');
  assert.equal(await pwValue.textContent(), PASSWORD);
  assert.equal(await page.locator('[data-reveal="password"]').getAttribute('aria-pressed'), 'true');
  await page.locator('#value-totp', { hasText: /^\d{3} \d{3}$/ }).waitFor();
  await shots(page, 'entry-view');

  // Edit (PUT with If-Match).
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.getByLabel('Notes').fill('Rotated every quarter.');
  await shots(page, 'entry-edit');
  await page.click('#entry-save');
  await statusSays(page, 'Saved.');
  await page.locator('.notes', { hasText: 'Rotated every quarter.' }).waitFor();

  // An agent for the scope; the credential is minted in the page.
  await nav(page, 'Agents');
  await page.getByRole('link', { name: 'New agent' }).click();
  await page.getByLabel('Name').fill('deploy-bot');
  await page.check('[data-scope="0001"]');
  await shots(page, 'agent-new');
  await page.click('#agent-save');
  const credBox = page.locator('#agent-credential');
  await credBox.waitFor();
  const credential = (await credBox.inputValue()).trim();
  assert.match(credential, /^cvc1\.[A-Za-z0-9_-]+$/);
  await shots(page, 'agent-credential');
  await page.click('#credential-done');
  await page.getByRole('heading', { name: 'deploy-bot' }).waitFor();
  await shots(page, 'agent-detail');
  await nav(page, 'Agents');
  await page.locator('#agent-table', { hasText: 'deploy-bot' }).waitFor();
  await shots(page, 'agents');

  // The CLI in agent mode reads the password with that credential.
  const got = cli(['get', TITLE, '--field', 'password'], { CLAVITOR_CREDENTIAL: credential });
  assert.equal(got.status, 0, `clavitor get failed: ${got.stderr}`);
  assert.equal(got.stdout.trim(), PASSWORD);

  // The audit page shows the agent's read of that entry; the chain verifies.
  await nav(page, 'Audit');
  const agentRead = page.locator('#audit-rows tr', { hasText: 'Agent deploy-bot' }).filter({ hasText: 'read' }).filter({ hasText: TITLE });
  await agentRead.first().waitFor();
  assert.match(await agentRead.first().textContent(), /success/);
  await page.click('#audit-verify');
  await statusSays(page, 'The audit chain is intact');
  await page.selectOption('#audit-actor', { label: 'deploy-bot' });
  await page.click('#audit-apply');
  await page.locator('#audit-page', { hasText: /Page 1: 1 event \(oldest/ }).waitFor();
  await shots(page, 'audit');

  // Import through the parse contract (POST /api/v1/import/parse), answered here as the server does.
  let parseCalls = 0;
  await page.route('**/api/v1/import/parse?**', async (route) => {
    parseCalls += 1;
    const url = new URL(route.request().url());
    assert.equal(url.searchParams.get('format'), 'auto');
    assert.equal(url.searchParams.get('filename'), 'bitwarden.json');
    assert.equal(route.request().postData(), '{"fake":"export"}');
    await route.fulfill({
      status: 200, contentType: 'application/json',
      body: JSON.stringify({
        format: 'bitwarden-json',
        items: [
          { type: 'login', title: 'Mail', folder: 'Personal', urls: ['https://mail.example.com'], username: 'alice', email: '', password: 'mail-pw', totp: '', notes: '', favorite: true, fields: [{ label: 'PIN', value: '1234', hidden: true }], created_at: null, updated_at: null, source: 'bitwarden-json' },
          { type: 'card', title: 'Visa', folder: '', urls: [], username: '', email: '', password: '', totp: '', notes: '', favorite: false, fields: [], card: { cardholder: 'Alice', brand: 'Visa', number: '4111111111111111', expiry: '01/2030', cvv: '123', pin: '' }, created_at: null, updated_at: null, source: 'bitwarden-json' },
        ],
        // The server's pipeline merges duplicates within the file (as the CLI does) and says how many.
        skipped: [],
        merged: 1,
      }),
    });
  });
  await nav(page, 'Import & export');
  await page.setInputFiles('#import-file', { name: 'bitwarden.json', mimeType: 'application/json', buffer: Buffer.from('{"fake":"export"}') });
  await page.click('#import-read');
  await page.locator('#import-found', { hasText: '2 items, 1 duplicate merged' }).waitFor();
  await page.click('#import-go');
  await statusSays(page, 'Import finished: 2 created');
  assert.equal(await page.locator('#import-progress').evaluate((p) => p.value === p.max), true);
  assert.equal(parseCalls, 1);
  await shots(page, 'import-export');

  // Export: decrypted locally, downloaded as JSON.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-run')]);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const byTitle = Object.fromEntries(exported.items.map((i) => [i.title, i]));
  assert.equal(byTitle[TITLE].password, PASSWORD);
  assert.equal(byTitle[TITLE].username, 'deploy-user');
  assert.equal(byTitle.Visa.card.number, '4111111111111111', 'L3 values are opened with K3');
  assert.deepEqual(byTitle.Mail.fields, [{ label: 'PIN', value: '1234', hidden: true }]);
  await statusSays(page, 'Exported 3 entries');

  // The imported card's L3 number opens in the entry view.
  await nav(page, 'Entries');
  await page.getByLabel('Search').fill('vis');
  await page.locator('#entry-count', { hasText: '1 of 3 entries' }).waitFor();
  await shots(page, 'entries');
  await page.getByRole('link', { name: /Visa/ }).click();
  await page.click('[data-reveal="number"]');
  assert.equal(await page.locator('#value-number').textContent(), '4111111111111111');

  // Settings; lock; unlock by handle + passphrase; by vault id + recovery code.
  await nav(page, 'Settings');
  await page.locator('#settings-vault-id', { hasText: vaultId }).waitFor();
  assert.match(await page.locator('#passkey-problem').textContent(), /not an IP address/);
  await shots(page, 'settings');
  await page.click('#lock-button');
  await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  assert.equal(await page.locator('#mainnav').isHidden(), true, 'no navigation while locked');
  assert.equal(await page.getByLabel('Handle or vault id').inputValue(), 'alice@example.org', 'prefilled after a lock');
  await statusSays(page, 'Locked.');
  // By keyboard: type, then Enter submits; focus lands on the new page's heading.
  await page.getByLabel('Handle or vault id').fill('alice@example.org');
  await page.getByLabel('Passphrase').fill(PASSPHRASE);
  await page.getByLabel('Passphrase').press('Enter');
  await page.getByRole('heading', { name: 'Entries' }).waitFor({ timeout: 30000 });
  await page.keyboard.press('Tab'); // from the search box (focused on the entry list) onward
  await nav(page, 'Agents');
  await page.getByRole('heading', { name: 'Agents' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'page-title', 'focus moves to the page heading');
  await page.click('#lock-button');
  await page.getByLabel('Handle or vault id').fill(vaultId);
  await page.click('#toggle-recovery');
  await page.getByRole('textbox', { name: 'Recovery code' }).fill(recoveryCode.toLowerCase().replace(/-/g, ' '));
  await shots(page, 'unlock-recovery');
  await page.click('#unlock-submit');
  await page.getByRole('heading', { name: 'Entries' }).waitFor({ timeout: 30000 });

  // Keys never reach web storage.
  const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
  assert.deepEqual(stored, { local: 0, session: 0, cookie: '' });

  // Log out everywhere: back to the unlock screen.
  await nav(page, 'Settings');
  await page.click('#logout-everywhere');
  await page.click('#confirm-ok');
  await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  await statusSays(page, 'Logged out everywhere');

  w.assertClean();
});

test('localhost is a secure context too', { timeout: 60000 }, async () => {
  const p = await openPage(browser, `http://localhost:${server.port}`);
  await p.page.goto(`http://localhost:${server.port}/`);
  await p.page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  assert.equal(await p.page.evaluate(() => window.isSecureContext), true);
  p.assertClean();
  await p.context.close();
});
