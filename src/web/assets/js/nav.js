// Navigation shared by the shell and the pages: go to a route, run
// cleanups when a page is left, and carry a status message across a
// navigation (a "flash").

let router = async () => {};
let cleanups = [];
let flashed = '';

/** Installs the router (app.js). */
export function setRouter(fn) { router = fn; }

/** Navigates to a route, e.g. `go('entries')`; re-renders if already there. */
export function go(to, flash) {
  if (flash) flashed = flash;
  const target = `#/${to}`;
  if (location.hash === target) router(); else location.hash = target;
}

/** Registers a cleanup for the current page (e.g. clearInterval of a TOTP timer). */
export function onLeave(fn) { cleanups.push(fn); }

/** Runs the current page's cleanups; returns the pending flash message. */
export function leave() {
  for (const fn of cleanups) { try { fn(); } catch { /* a cleanup must not stop navigation */ } }
  cleanups = [];
  const msg = flashed;
  flashed = '';
  return msg;
}

/** Keeps a status message for the next page. */
export function flash(msg) { flashed = msg; }
