// DOM helpers. Pages build elements with h(): text goes in through
// textContent only (never innerHTML), so no vault value can become markup.

/**
 * Creates an element. `attrs`: `class`, `text`, `on<Event>` handlers,
 * booleans (set when true), anything else as an attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

/** Replaces an element's children; null, undefined and false are skipped. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const ch of children.flat(Infinity)) {
    if (ch === null || ch === undefined || ch === false) continue;
    el.append(ch instanceof Node ? ch : document.createTextNode(String(ch)));
  }
}

let idSeq = 0;
/** A fresh element id with a prefix. */
export function uid(prefix = 'f') { idSeq += 1; return `${prefix}-${idSeq}`; }

/** A labelled form control: <div class=field><label/>control<hint/></div>. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid();
  const parts = [h('label', { for: control.id, text: label }), control];
  if (hint) {
    const hid = uid('hint');
    parts.push(h('p', { class: 'hint', id: hid, text: hint }));
    control.setAttribute('aria-describedby', hid);
  }
  return h('div', { class: 'field' }, parts);
}

/** A checkbox with its label. */
export function checkbox(label, attrs = {}) {
  const input = h('input', { type: 'checkbox', ...attrs });
  if (!input.id) input.id = uid();
  return h('div', { class: 'check' }, input, h('label', { for: input.id, text: label }));
}

const main = () => document.getElementById('main');

/** Replaces the page content and moves focus to its heading (for screen readers). */
export function render(title, ...content) {
  const m = main();
  fill(m, h('h1', { tabindex: '-1', id: 'page-title', text: title }), content);
  document.title = `${title} · clavitor`;
  clearAlert();
  m.querySelector('#page-title').focus({ preventScroll: false });
}

/** A polite status message (aria-live). */
export function status(msg) {
  const s = document.getElementById('status');
  s.textContent = msg;
}

/** An error message (role=alert). */
export function alertError(msg) {
  const a = document.getElementById('alert');
  a.textContent = msg;
  a.hidden = !msg;
}

/** Clears the error message. */
export function clearAlert() { alertError(''); }

/** A message for an error: API errors carry the server's words. */
export function errorText(e) {
  if (!e) return 'Something went wrong.';
  if (e.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out.';
  return e.message || String(e);
}

/** Runs an async action from a button: disables it, shows progress, reports errors. */
export async function busy(button, working, fn) {
  const before = button?.textContent;
  if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
  status(working);
  clearAlert();
  try {
    return await fn();
  } catch (e) {
    status('');
    alertError(errorText(e));
    return undefined;
  } finally {
    if (button && button.isConnected) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      if (before !== undefined) button.textContent = before;
    }
  }
}

/** Asks for confirmation in a modal dialog; resolves true on Confirm. */
export function confirmDialog(title, textMsg, okLabel = 'Delete') {
  const dlg = document.getElementById('confirm');
  dlg.querySelector('#confirm-title').textContent = title;
  dlg.querySelector('#confirm-text').textContent = textMsg;
  dlg.querySelector('#confirm-ok').textContent = okLabel;
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
    dlg.returnValue = 'cancel';
    dlg.showModal();
    dlg.querySelector('#confirm-cancel').focus();
  });
}

/** Copies text to the clipboard and says so (or why not). */
export async function copyText(value, what) {
  try {
    await navigator.clipboard.writeText(value);
    status(`${what} copied to the clipboard.`);
  } catch {
    alertError(`Could not copy the ${what.toLowerCase()}: the browser refused clipboard access.`);
  }
}

/** A local, readable form of an RFC 3339 time. */
export function when(t) {
  if (!t) return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A button. */
export function button(label, onclick, cls = 'btn', attrs = {}) {
  return h('button', { type: 'button', class: cls, onclick, ...attrs, text: label });
}

/** A link styled as a button. */
export function linkButton(label, href, cls = 'btn') {
  return h('a', { href, class: cls, text: label });
}

/** An empty-state paragraph. */
export function empty(msg) { return h('p', { class: 'empty muted', text: msg }); }

const SVG_NS = 'http://www.w3.org/2000/svg';
/**
 * Creates an SVG element (charts). Same rules as h(): attributes through
 * setAttribute, text through textContent, handlers through addEventListener.
 */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}
