// Entry point: the page shell (top bar, navigation, lock), hash routing and
// the idle lock. Pages live in ./pages/; each exports an async function that
// renders into <main>.

import { configure } from './api.js';
import * as session from './session.js';
import { loadSpec } from './fieldspec.js';
import { alertError, errorText, status } from './dom.js';
import { flash, leave, setRouter } from './nav.js';
import { unlockPage, createPage } from './pages/unlock.js';
import { entriesPage } from './pages/entries.js';
import { entryViewPage } from './pages/entry-view.js';
import { entryEditPage } from './pages/entry-edit.js';
import { agentsPage } from './pages/agents.js';
import { agentEditPage } from './pages/agent-edit.js';
import { scopesPage } from './pages/scopes.js';
import { transferPage } from './pages/transfer.js';
import { auditPage } from './pages/audit.js';
import { settingsPage } from './pages/settings.js';

/** Minutes without input after which the vault locks itself. */
const IDLE_LOCK_MINUTES = 15;

/** Routes while unlocked: `#/path/segments` → page. */
const ROUTES = [
  [/^entries$/, () => entriesPage()],
  [/^entries\/new$/, () => entryEditPage(null)],
  [/^entries\/([0-9a-f]{32})$/, (m) => entryViewPage(m[1])],
  [/^entries\/([0-9a-f]{32})\/edit$/, (m) => entryEditPage(m[1])],
  [/^agents$/, () => agentsPage()],
  [/^agents\/new$/, () => agentEditPage(null)],
  [/^agents\/([0-9a-f]{32})$/, (m) => agentEditPage(m[1])],
  [/^scopes$/, () => scopesPage()],
  [/^transfer$/, () => transferPage()],
  [/^audit$/, () => auditPage()],
  [/^settings$/, () => settingsPage()],
];

function path() { return decodeURIComponent(location.hash.replace(/^#\/?/, '')); }

async function route() {
  status(leave());
  const p = path();
  const unlocked = !!session.vault();
  shell(unlocked, p);
  try {
    if (!unlocked) {
      if (p === 'create') await createPage();
      else await unlockPage();
      return;
    }
    for (const [re, page] of ROUTES) {
      const m = p.match(re);
      if (m) { await page(m); return; }
    }
    location.replace('#/entries');
  } catch (e) {
    alertError(errorText(e));
  }
}

/** Shows or hides the top bar and marks the current section. */
function shell(unlocked, p) {
  // The bar is on every screen; navigation, vault name and Lock only while unlocked.
  document.getElementById('mainnav').hidden = !unlocked;
  document.getElementById('lock-button').hidden = !unlocked;
  document.querySelector('.brand').setAttribute('href', unlocked ? '#/entries' : '#/unlock');
  const v = session.vault();
  document.getElementById('vault-name').textContent = v ? (v.handle || `Vault ${v.vaultId.slice(0, 8)}…`) : '';
  if (v) document.getElementById('vault-name').title = `Vault ${v.vaultId}`;
  const section = p.split('/')[0];
  for (const a of document.querySelectorAll('#mainnav a')) {
    if (a.dataset.nav === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

let idleTimer = null;
function armIdleLock() {
  clearTimeout(idleTimer);
  if (!session.vault()) return;
  idleTimer = setTimeout(() => {
    if (session.vault()) { flash('Locked after 15 minutes without activity.'); session.lock(); }
  }, IDLE_LOCK_MINUTES * 60 * 1000);
}

async function boot() {
  configure({
    token: session.token,
    sessionEnded: () => {
      flash('The session ended (it expired or was revoked from another device). Unlock again.');
      session.lock();
    },
  });
  session.onChange((v) => {
    armIdleLock();
    if (!v) {
      // Locking: drop whatever the page showed, then show the unlock screen.
      document.getElementById('main').replaceChildren();
      if (location.hash !== '#/unlock') location.hash = '#/unlock'; else route();
    }
  });
  for (const ev of ['keydown', 'pointerdown']) document.addEventListener(ev, armIdleLock, { passive: true });
  document.getElementById('lock-button').addEventListener('click', () => {
    flash('Locked. The keys were removed from this page.');
    session.lock();
  });
  setRouter(route);
  window.addEventListener('hashchange', route);
  await loadSpec();
  await route();
}

boot().catch((e) => alertError(errorText(e)));
