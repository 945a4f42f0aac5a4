// The locked screens: unlock (passphrase, recovery code, passkey) and
// create a vault (then show the recovery code once).

import { h, field, render, busy, button, status, copyText, alertError } from '../dom.js';
import { go, flash } from '../nav.js';
import * as session from '../session.js';
import { passkeyProblem, unlockWithPasskey } from '../passkey.js';

const MIN_PASSPHRASE = 8;

/** The unlock screen. */
export async function unlockPage() {
  let useRecovery = false;
  const who = h('input', { name: 'username', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'none', value: session.lastVault() });
  const pass = h('input', { type: 'password', name: 'password', autocomplete: 'current-password' });
  const code = h('textarea', { rows: '3', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters', class: 'mono' });
  const passField = field('Passphrase', pass);
  const codeField = field('Recovery code', code, 'Thirteen groups of four letters and digits; case, spaces and dashes do not matter.');
  codeField.hidden = true;
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'unlock-submit', text: 'Unlock' });
  const toggle = button('Use the recovery code instead', () => {
    useRecovery = !useRecovery;
    passField.hidden = useRecovery;
    codeField.hidden = !useRecovery;
    toggle.textContent = useRecovery ? 'Use the passphrase instead' : 'Use the recovery code instead';
    (useRecovery ? code : pass).focus();
  }, 'btn btn-link', { id: 'toggle-recovery' });

  const form = h('form', { class: 'stack', id: 'unlock-form', novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    const id = who.value.trim();
    if (!id) { alertError('Enter your handle or vault id.'); who.focus(); return; }
    busy(submit, 'Unlocking… (deriving the key takes a moment)', async () => {
      if (useRecovery) await session.unlockWithRecovery(id, code.value);
      else await session.unlockWithPassphrase(id, pass.value);
      pass.value = ''; code.value = '';
      flash('Unlocked.');
      go('entries');
    });
  } },
  field('Handle or vault id', who), passField, codeField,
  h('div', { class: 'actions' }, submit, toggle));

  const problem = passkeyProblem();
  const passkeyBtn = button('Unlock with a passkey', () => busy(passkeyBtn, 'Waiting for the passkey…', async () => {
    await unlockWithPasskey();
    flash('Unlocked with a passkey.');
    go('entries');
  }), 'btn', { id: 'passkey-unlock' });
  const passkeyPart = problem
    ? h('p', { class: 'hint', text: problem })
    : passkeyBtn;

  render('Unlock your vault',
    h('div', { class: 'card narrow' },
      h('p', { class: 'muted', text: 'Keys are derived in this browser and kept only in this tab’s memory; locking or reloading forgets them.' }),
      form,
      h('div', { class: 'or', 'aria-hidden': 'true', text: 'or' }),
      passkeyPart,
      h('p', { class: 'foot' }, 'New here? ', h('a', { href: '#/create', id: 'create-link', text: 'Create a vault' }))));
  if (who.value) pass.focus();
}

/** The create-vault screen. */
export async function createPage() {
  const handle = h('input', { name: 'username', autocomplete: 'username', spellcheck: 'false', autocapitalize: 'none', maxlength: '254' });
  const pass = h('input', { type: 'password', autocomplete: 'new-password', minlength: String(MIN_PASSPHRASE), required: true });
  const again = h('input', { type: 'password', autocomplete: 'new-password', required: true });
  const setup = h('input', { autocomplete: 'off', spellcheck: 'false' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'create-submit', text: 'Create vault' });
  const form = h('form', { class: 'stack', id: 'create-form', novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    if ([...pass.value].length < MIN_PASSPHRASE) { alertError(`Use a passphrase of at least ${MIN_PASSPHRASE} characters.`); pass.focus(); return; }
    if (pass.value !== again.value) { alertError('The two passphrases differ.'); again.focus(); return; }
    busy(submit, 'Creating the vault…', async () => {
      let created;
      try {
        created = await session.createVault({ handle: handle.value.trim() || null, passphrase: pass.value, setupToken: setup.value.trim() || null });
      } catch (e) {
        if (e.code === 'CV-2020') {
          setup.focus();
          throw new Error(setup.value.trim()
            ? 'The setup token was not accepted (it works once, and only while the server has no vault). Check the file <data_dir>/setup-token on the server.'
            : 'Registration is closed on this server. The first vault needs the one-time setup token: paste the contents of <data_dir>/setup-token (on the server) into “Setup token”.');
        }
        throw e;
      }
      const { recoveryCode } = created;
      pass.value = ''; again.value = '';
      showRecoveryCode(recoveryCode, 'Vault created');
    });
  } },
  field('Handle (optional)', handle, 'A login name such as your e-mail address, so you can unlock without the vault id.'),
  field('Passphrase', pass, `At least ${MIN_PASSPHRASE} characters. It never leaves this browser.`),
  field('Repeat the passphrase', again),
  field('Setup token (only for the first vault on a closed server)', setup, 'The server wrote it to <data_dir>/setup-token at start-up.'),
  h('div', { class: 'actions' }, submit, h('a', { href: '#/unlock', class: 'btn btn-link', text: 'I already have a vault' })));
  render('Create a vault', h('div', { class: 'card narrow' }, form));
}

/** Shows a recovery code once, with copy and download, until the owner confirms. */
export function showRecoveryCode(codeText, title) {
  const v = session.vault();
  const done = h('button', { type: 'button', class: 'btn btn-primary', id: 'recovery-done', disabled: true, text: 'Continue to the vault', onclick: () => go('entries') });
  const ack = h('input', { type: 'checkbox', id: 'recovery-ack', onchange: () => { done.disabled = !ack.checked; } });
  const download = () => {
    const blob = new Blob([`clavitor recovery code\nvault: ${v.vaultId}\ncode: ${codeText}\n`], { type: 'text/plain' });
    const a = h('a', { href: URL.createObjectURL(blob), download: `clavitor-recovery-${v.vaultId.slice(0, 8)}.txt` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  render(title,
    h('div', { class: 'card narrow' },
      h('p', {}, 'Your vault id is ', h('code', { id: 'vault-id', text: v.vaultId }), '.'),
      h('p', { class: 'warn', text: 'Store this recovery code somewhere safe and offline. It is shown only once, and it unlocks the vault without the passphrase: anyone who has it can read everything.' }),
      h('p', { class: 'secret-box mono', id: 'recovery-code', text: codeText }),
      h('div', { class: 'actions' },
        button('Copy', () => copyText(codeText, 'Recovery code')),
        button('Download as a file', download)),
      h('div', { class: 'check' }, ack, h('label', { for: 'recovery-ack', text: 'I have stored the recovery code' })),
      h('div', { class: 'actions' }, done)));
  status('Save the recovery code before you continue.');
}
