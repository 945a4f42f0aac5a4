// Vault settings: passkeys (WebAuthn PRF), passphrase, recovery code, and
// "log out everywhere".

import { h, field, render, button, busy, confirmDialog, alertError, status, when } from '../dom.js';
import { flash } from '../nav.js';
import * as session from '../session.js';
import { passkeyProblem, registerPasskey } from '../passkey.js';
import { showRecoveryCode } from './unlock.js';

const MIN_PASSPHRASE = 8;

/** The settings page. */
export async function settingsPage() {
  const v = session.vault();
  const problem = passkeyProblem();
  const addPasskey = button('Add a passkey', () => busy(addPasskey, 'Follow your browser’s passkey prompt…', async () => {
    const id = await registerPasskey();
    status(`Passkey added (credential ${id.slice(0, 10)}…). You can now unlock with it.`);
  }), 'btn btn-primary', { id: 'passkey-add', disabled: !!problem });

  const pass = h('input', { type: 'password', autocomplete: 'new-password', id: 'new-passphrase' });
  const again = h('input', { type: 'password', autocomplete: 'new-password', id: 'new-passphrase-again' });
  const change = h('button', { type: 'submit', class: 'btn', id: 'passphrase-change', text: 'Change passphrase' });
  const passForm = h('form', { class: 'stack', novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    if ([...pass.value].length < MIN_PASSPHRASE) { alertError(`Use at least ${MIN_PASSPHRASE} characters.`); pass.focus(); return; }
    if (pass.value !== again.value) { alertError('The two passphrases differ.'); again.focus(); return; }
    busy(change, 'Deriving the new key…', async () => {
      await session.changePassphrase(pass.value);
      pass.value = ''; again.value = '';
      status('Passphrase changed. Other devices keep their sessions until you log out everywhere.');
    });
  } }, field('New passphrase', pass), field('Repeat the new passphrase', again), h('div', { class: 'actions' }, change));

  const recovery = button('Make a new recovery code', async () => {
    if (!(await confirmDialog('Replace the recovery code?', 'The old recovery code stops working. The new one is shown once.', 'Replace'))) return;
    await busy(recovery, 'Making a new recovery code…', async () => showRecoveryCode(await session.newRecoveryCode(), 'New recovery code'));
  }, 'btn', { id: 'recovery-new' });

  const everywhere = button('Log out everywhere', async () => {
    if (!(await confirmDialog('Log out everywhere?', 'Every owner session of this vault ends, on every device, including this one.', 'Log out everywhere'))) return;
    await busy(everywhere, 'Ending every session…', async () => {
      flash('Logged out everywhere. Every owner session of this vault has ended.');
      await session.logoutEverywhere();
    });
  }, 'btn btn-danger', { id: 'logout-everywhere' });

  render('Settings',
    h('section', { class: 'card', 'aria-labelledby': 'vault-h' }, h('h2', { id: 'vault-h', text: 'Vault' }),
      h('dl', { class: 'meta' },
        h('dt', { text: 'Vault id' }), h('dd', { class: 'mono', id: 'settings-vault-id', text: v.vaultId }),
        h('dt', { text: 'Handle' }), h('dd', { text: v.handle || '—' }),
        h('dt', { text: 'Session ends' }), h('dd', { text: when(v.expiresAt) }))),
    h('section', { class: 'card', 'aria-labelledby': 'pk-h' }, h('h2', { id: 'pk-h', text: 'Passkeys' }),
      h('p', { class: 'muted', text: 'A passkey with the PRF extension unlocks the vault without the passphrase. The server stores only your master key wrapped under a key the passkey derives.' }),
      problem ? h('p', { class: 'hint', id: 'passkey-problem', text: problem }) : null,
      h('div', { class: 'actions' }, addPasskey)),
    h('section', { class: 'card', 'aria-labelledby': 'pp-h' }, h('h2', { id: 'pp-h', text: 'Passphrase' }), passForm),
    h('section', { class: 'card', 'aria-labelledby': 'rc-h' }, h('h2', { id: 'rc-h', text: 'Recovery code' }),
      h('p', { class: 'muted', text: 'Lost it? Make a new one; the old one stops working.' }), h('div', { class: 'actions' }, recovery)),
    h('section', { class: 'card', 'aria-labelledby': 'se-h' }, h('h2', { id: 'se-h', text: 'Sessions' }),
      h('p', { class: 'muted', text: 'Lock (top right) forgets the keys in this tab. Logging out everywhere also ends the owner sessions of every other device and of the CLI.' }),
      h('div', { class: 'actions' }, everywhere)));
}
