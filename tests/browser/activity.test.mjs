// The audit page's agent activity charts (inline SVG from the audit API):
// a vault with three agents that read, get refused, hit the rate limit and
// get locked; the charts show reads, refusals and the lock at desktop and
// phone width, and clicking a bar filters the audit table. Also: editing an
// agent in the web UI holds on its next request with the same token, and
// limits beyond the bounds are refused.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, shots, createVaultInUi, nav, statusSays, PHONE, DESKTOP } from './harness.mjs';

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

/** The owner's API call, made by the page's own api.js (same module, same session). */
function ownerApi(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const src = document.querySelector('script[type=module]').src.replace(/app\.js$/, 'api.js');
    const { api } = await import(src);
    return api(m, p, b ? { body: b } : {});
  }, [method, path, body]);
}

/** An agent's read over plain HTTP with its wire token; returns the status. */
async function agentRead(token, title) {
  const r = await fetch(`${server.url}/api/v1/entries/lookup?title=${encodeURIComponent(title)}`, { headers: { Authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

/** Sums of the data-* counts of one agent's chart (0: 24 hours, 1: 30 days). */
function chartTotals(page, agentId, which) {
  return page.evaluate(([id, i]) => {
    const bars = [...document.querySelectorAll(`.activity-row[data-agent="${id}"] .chart-box`)][i].querySelectorAll('g.bar');
    const t = { reads: 0, refusals: 0, locks: 0, bars: bars.length };
    for (const b of bars) { t.reads += Number(b.dataset.reads); t.refusals += Number(b.dataset.refusals); t.locks += Number(b.dataset.locks); }
    return t;
  }, [agentId, which]);
}

test('activity charts per agent, filtering the audit table, and agent edits', { timeout: 240000 }, async () => {
  const { page } = w;
  await createVaultInUi(page, server.url, 'dora', 'a long enough passphrase');
  const { scope_id: ops } = await ownerApi(page, 'POST', '/scopes', { name: 'ops' });
  for (const title of ['One', 'Two', 'Three']) {
    const entry_id = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    await ownerApi(page, 'POST', '/entries', { entry_id, type: 'note', title, notes: `notes of ${title}`, scopes: [ops] });
  }
  const reader = await ownerApi(page, 'POST', '/agents', { name: 'reader', scopes: [ops] });
  const greedy = await ownerApi(page, 'POST', '/agents', { name: 'greedy', scopes: [ops], rate_limit_minute: 1, rate_limit_hour: 1 });
  const fenced = await ownerApi(page, 'POST', '/agents', { name: 'fenced', scopes: [ops], ip_whitelist: ['192.0.2.0/24'] });

  // reader: three reads and one refusal (a title it cannot see).
  for (const t of ['One', 'Two', 'Three']) assert.equal(await agentRead(reader.token, t), 200);
  assert.equal(await agentRead(reader.token, 'Nope'), 403);
  // greedy: one read, a violation (429), a second violation locks it (423), then refused while locked.
  assert.equal(await agentRead(greedy.token, 'One'), 200);
  assert.equal(await agentRead(greedy.token, 'Two'), 429);
  assert.equal(await agentRead(greedy.token, 'Three'), 423);
  assert.equal(await agentRead(greedy.token, 'One'), 423);
  // fenced: refused by its allowlist.
  assert.equal(await agentRead(fenced.token, 'One'), 403);
  assert.equal(await agentRead(fenced.token, 'Two'), 403);

  await nav(page, 'Audit');
  await page.locator('#activity-rows:not([aria-busy])').waitFor();
  assert.equal(await page.locator('.activity-row').count(), 3);
  for (const which of [0, 1]) {
    const r = await chartTotals(page, reader.agent_id, which);
    assert.deepEqual(r, { reads: 3, refusals: 1, locks: 0, bars: which === 0 ? 24 : 30 });
    const g = await chartTotals(page, greedy.agent_id, which);
    assert.equal(g.reads, 1);
    assert.equal(g.refusals, 3, 'two rate-limit refusals and one while locked');
    assert.ok(g.locks >= 2, `the locking refusal and the refusal while locked: ${JSON.stringify(g)}`);
    const f = await chartTotals(page, fenced.agent_id, which);
    assert.deepEqual([f.reads, f.refusals], [0, 2]);
  }
  // Drawn, not just counted: bars, refusal stacks and the lock mark exist as SVG shapes.
  const greedyRow = page.locator(`.activity-row[data-agent="${greedy.agent_id}"]`);
  assert.ok(await greedyRow.locator('.chart-box').first().locator('polygon.bar-lock').count() >= 1);
  assert.ok(await greedyRow.locator('.chart-box').first().locator('rect.bar-refused').count() >= 1);
  assert.ok(await page.locator(`.activity-row[data-agent="${reader.agent_id}"] .chart-box >> nth=0`).locator('rect.bar-read').count() >= 1);

  // Desktop: the two charts side by side; phone: stacked, within the screen.
  await page.setViewportSize(DESKTOP);
  let boxes = await greedyRow.locator('svg.chart').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
  assert.equal(boxes.length, 2);
  assert.ok(Math.abs(boxes[0].top - boxes[1].top) < 2 && boxes[1].left > boxes[0].right, `side by side: ${JSON.stringify(boxes)}`);
  await page.setViewportSize(PHONE);
  boxes = await greedyRow.locator('svg.chart').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
  assert.ok(boxes[1].top > boxes[0].bottom, `stacked on a phone: ${JSON.stringify(boxes)}`);
  for (const b of boxes) assert.ok(b.width > 200 && b.right <= PHONE.width, `fits the phone: ${JSON.stringify(b)}`);
  await page.setViewportSize(DESKTOP);
  await shots(page, 'audit-activity');

  // Clicking greedy's busiest hour filters the table to greedy in that hour.
  const busiest = await greedyRow.locator('.chart-box').first().locator('g.bar').evaluateAll((bars) => {
    let best = 0;
    bars.forEach((b, i) => { if (Number(b.dataset.refusals) + Number(b.dataset.reads) > Number(bars[best].dataset.refusals) + Number(bars[best].dataset.reads)) best = i; });
    return best;
  });
  await greedyRow.locator('.chart-box').first().locator('g.bar').nth(busiest).click();
  await statusSays(page, 'Showing the events of greedy');
  assert.equal(await page.locator('#audit-actor').inputValue(), greedy.agent_id);
  assert.notEqual(await page.locator('#audit-since').inputValue(), '');
  const who = await page.locator('#audit-rows td[data-label="Who"]').allTextContents();
  assert.ok(who.length >= 4, `greedy's events: ${who}`);
  assert.ok(who.every((t) => t === 'Agent greedy'), `only greedy's events: ${who}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shots(page, 'audit-activity-filtered');

  // Keyboard: Enter on a 30-day bar does the same for reader.
  const readerDays = page.locator(`.activity-row[data-agent="${reader.agent_id}"] .chart-box`).nth(1).locator('g.bar');
  await readerDays.last().focus();
  await page.keyboard.press('Enter');
  await statusSays(page, 'Showing the events of reader');
  assert.equal(await page.locator('#audit-actor').inputValue(), reader.agent_id);

  // Agent edit in the UI: drop fenced's allowlist; the same token reads at once.
  await nav(page, 'Agents');
  await page.getByRole('link', { name: 'fenced' }).click();
  await page.locator('#agent-ips').fill('');
  await page.click('#agent-save');
  await statusSays(page, 'Saved.');
  assert.equal(await agentRead(fenced.token, 'One'), 200, 'the edit holds on the next request, same token');
  // Beyond the bounds: refused in the page, nothing saved.
  await page.locator('#agent-rate-minute').fill('1001');
  await page.locator('#agent-rate-hour').fill('2000');
  await page.click('#agent-save');
  await page.locator('#alert', { hasText: 'at most 1000' }).waitFor();
  const shown = await ownerApi(page, 'GET', `/agents/${fenced.agent_id}`);
  assert.equal(shown.rate_limit_minute, 3);
  w.assertClean();
  // And the server refuses it too, whatever the client (last: Chromium logs the 400).
  const refused = await page.evaluate(async ([id]) => {
    const src = document.querySelector('script[type=module]').src.replace(/app\.js$/, 'api.js');
    const { api } = await import(src);
    try { await api('PUT', `/agents/${id}`, { body: { rate_limit_hour: 10001 } }); return 'accepted'; } catch (e) { return e.message; }
  }, [fenced.agent_id]);
  assert.match(refused, /at most 10000/);
});
