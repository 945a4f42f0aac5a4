// Test harness for the browser tests: the real clavitor binary on a free
// 127.0.0.1 port with a temporary data directory and open registration,
// Debian's headless Chromium driven by playwright-core, a page watcher that
// records requests to other origins and console errors, screenshots at
// desktop and phone width, and the CLI.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.CLAVITOR_BIN || join(ROOT, 'target/debug/clavitor');
export const SHOTS = join(ROOT, 'target/screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A free TCP port on loopback. */
function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `clavitor serve` (registration open unless `registration: 'closed'`;
 * `dataFrom`: a directory whose clavitor.db and token.key seed the data directory);
 * resolves once /healthz answers (at most 20 s).
 */
export async function startServer({ registration = 'open', dataFrom = null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'clavitor-browser-'));
  if (dataFrom) {
    // A prepared data directory (e.g. a fixture made by an older release), files 0600.
    mkdirSync(join(dir, 'data'), { mode: 0o700 });
    for (const f of ['clavitor.db', 'token.key']) {
      copyFileSync(join(dataFrom, f), join(dir, 'data', f));
      chmodSync(join(dir, 'data', f), 0o600);
    }
  }
  const port = await freePort();
  const config = join(dir, 'clavitor.yaml');
  writeFileSync(config, `listen: "127.0.0.1:${port}"\ndata_dir: ${join(dir, 'data')}\nworkers: 2\nregistration: ${registration}\nlog: {level: info}\n`);
  const logFile = join(dir, 'server.log');
  const child = spawn(BIN, ['serve', '--config', config], { stdio: ['ignore', 'ignore', openSync(logFile, 'a')] });
  const url = `http://127.0.0.1:${port}`;
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited during start-up:\n${log()}`);
    try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not yet */ }
    if (i === 199) throw new Error(`server did not answer /healthz within 20 s:\n${log()}`);
    await sleep(100);
  }
  return {
    url, port, dir, log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        for (let i = 0; i < 50 && child.exitCode === null; i++) await sleep(100);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches headless Chromium with the flags this machine needs. */
export function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run tests/browser/run.sh (it installs Debian's chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/**
 * A page in a fresh context that records every request to another origin
 * and every console error or uncaught exception.
 */
export async function openPage(browser, origin, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const foreign = [];
  const errors = [];
  const allowed = new Set([new URL(origin).origin]);
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    if (!allowed.has(new URL(u).origin)) foreign.push(u);
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // A wrong unlock proof is answered 401 by contract (SPEC section 3, v1.1),
    // and Chromium logs every 4xx resource as an error: that one is expected.
    const url = m.location()?.url || '';
    if (/status of 401/.test(m.text()) && /\/api\/v1\/vaults\/[^/]+\/unlock\/[^/]+\/open$/.test(url)) return;
    errors.push(`console: ${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return {
    context, page, foreign, errors,
    /** Asserts nothing went to another origin and nothing was logged as an error. */
    assertClean() {
      assert.deepEqual(foreign, [], 'requests to other origins');
      assert.deepEqual(errors, [], 'console errors');
    },
  };
}

/**
 * Asserts every visible form control, button and image has an accessible
 * name (a <label>, aria-label(ledby), text or alt), for screen readers.
 */
export async function assertLabelled(page, where) {
  const unnamed = await page.evaluate(() => {
    const bad = [];
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
    for (const el of document.querySelectorAll('input, select, textarea, button, img, a[href]')) {
      if (!visible(el) || el.type === 'hidden') continue;
      const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
        || (el.tagName === 'IMG' ? el.hasAttribute('alt') : (el.textContent || '').trim());
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
  assert.deepEqual(unnamed, [], `controls without an accessible name on ${where}`);
}

/**
 * Screenshots the page at desktop and phone width:
 * target/screenshots/NAME-{desktop,phone}.png (after checking its labels).
 */
export async function shots(page, name) {
  await assertLabelled(page, name);
  mkdirSync(SHOTS, { recursive: true });
  const before = page.viewportSize();
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(before || DESKTOP);
}

/** Runs the CLI with a private XDG_CONFIG_HOME; returns {status, stdout, stderr}. */
export function cli(args, env = {}) {
  const xdg = mkdtempSync(join(tmpdir(), 'clavitor-cli-'));
  try {
    const r = spawnSync(BIN, args, { env: { PATH: process.env.PATH, XDG_CONFIG_HOME: xdg, ...env }, encoding: 'utf8', timeout: 60000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(xdg, { recursive: true, force: true });
  }
}

/** The asset version the page loaded (from its module script URL). */
export async function assetVersion(page) {
  return page.evaluate(() => document.querySelector('script[type=module]').src.match(/\/assets\/([^/]+)\//)[1]);
}

/** Creates a vault through the UI's create screen; returns {vaultId, recoveryCode}. */
export async function createVaultInUi(page, origin, handle, passphrase) {
  await page.goto(`${origin}/#/create`);
  await page.getByLabel('Handle (optional)').fill(handle);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Repeat the passphrase').fill(passphrase);
  await page.click('#create-submit');
  await page.locator('#recovery-code').waitFor({ timeout: 30000 });
  const vaultId = (await page.locator('#vault-id').textContent()).trim();
  const recoveryCode = (await page.locator('#recovery-code').textContent()).trim();
  await page.check('#recovery-ack');
  await page.click('#recovery-done');
  await page.getByRole('heading', { name: 'Entries' }).waitFor();
  return { vaultId, recoveryCode };
}

/** Clicks a main navigation link. */
export function nav(page, name) {
  return page.locator('#mainnav').getByRole('link', { name, exact: true }).click();
}

/** Waits for the polite status region to contain `text`. */
export function statusSays(page, text) {
  return page.locator('#status', { hasText: text }).waitFor({ timeout: 20000 });
}
