//! Unlock methods (SPEC section 3): the key-encryption keys (KEKs) that wrap
//! the master secret M for storage on the server, and the wrapping itself.
//!
//! HKDF salt: every HKDF here uses `salt = ASCII(vault_id)`, like the key
//! derivations in [`super::keys`]. Checked against `shared/test-vectors.json`:
//! with the vault id as salt both the recovery KEK and the passkey (PRF) KEK
//! match the independent implementation; with no salt neither does.

use std::num::NonZeroU32;

use data_encoding::BASE32_NOPAD;
use ring::pbkdf2;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::keys::{hkdf32, Key32, MasterSecret};
use super::seal::{self, unlock_aad, Tier};
use super::{sha256, CryptoError, NONCE_LEN};

/// The fewest PBKDF2 iterations a new passphrase method may use (SPEC
/// section 3; OWASP's 2023 figure for PBKDF2-HMAC-SHA256).
pub const PASSPHRASE_MIN_ITERATIONS: u32 = 600_000;
/// The most PBKDF2 iterations a client will run for parameters it was sent.
/// A hostile or broken server could otherwise ask for 2^32 - 1 rounds and
/// hang the client for hours; 10 million takes a few seconds.
pub const PASSPHRASE_MAX_ITERATIONS: u32 = 10_000_000;
/// Length in bytes of a passphrase method's PBKDF2 salt.
pub const PASSPHRASE_SALT_LEN: usize = 16;
/// `method_id` of the passphrase unlock method.
pub const METHOD_PASSPHRASE: &str = "passphrase";
/// `method_id` of the recovery-code unlock method.
pub const METHOD_RECOVERY: &str = "recovery";
/// HKDF info label of the recovery-code KEK.
pub const LABEL_RECOVERY_KEK: &str = "clavitor v1 recovery-kek";
/// HKDF info label of the passkey (WebAuthn PRF) KEK.
pub const LABEL_PRF_KEK: &str = "clavitor v1 prf-kek";
/// The string hashed to make the WebAuthn PRF evaluation input.
pub const PRF_EVAL_LABEL: &str = "clavitor v1 prf";

/// HKDF info prefix of an unlock proof; the method id follows (SPEC section 3, v1.1).
pub const LABEL_UNLOCK_PROOF: &str = "clavitor v1 unlock-proof|";

/// Characters in a recovery code without separators: base32 of 32 bytes.
const RECOVERY_CODE_CHARS: usize = 52;

/// Checks PBKDF2 parameters before running them: at least
/// [`PASSPHRASE_MIN_ITERATIONS`] and at most [`PASSPHRASE_MAX_ITERATIONS`].
pub fn check_passphrase_iterations(iterations: u32) -> Result<(), CryptoError> {
    if iterations < PASSPHRASE_MIN_ITERATIONS {
        return Err(CryptoError::Malformed(
            "passphrase KDF iterations are below the minimum of 600000",
        ));
    }
    if iterations > PASSPHRASE_MAX_ITERATIONS {
        return Err(CryptoError::Malformed(
            "passphrase KDF iterations are above the maximum of 10000000",
        ));
    }
    Ok(())
}

/// `PBKDF2-HMAC-SHA256(NFC(passphrase), salt, iterations)`, 32 bytes.
///
/// The passphrase is NFC-normalized first so the same words typed on
/// different systems (precomposed or combining accents) give the same key.
/// Callers validate `iterations` with [`check_passphrase_iterations`]; this
/// function runs what it is given (0 is treated as 1, as PBKDF2 needs at
/// least one round).
pub fn passphrase_kek(passphrase: &str, salt: &[u8], iterations: u32) -> Key32 {
    let normalized = Zeroizing::new(passphrase.nfc().collect::<String>());
    let rounds = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    let mut out = Zeroizing::new([0u8; 32]);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        rounds,
        salt,
        normalized.as_bytes(),
        out.as_mut_slice(),
    );
    Key32::from_bytes(*out)
}

/// `HKDF(code, salt = vault_id, info "clavitor v1 recovery-kek")`.
pub fn recovery_kek(code: &[u8; 32], vault_id: &str) -> Key32 {
    hkdf32(code, vault_id, LABEL_RECOVERY_KEK)
}

/// The WebAuthn PRF evaluation input: `SHA-256("clavitor v1 prf")`.
pub fn prf_eval_input() -> [u8; 32] {
    sha256(PRF_EVAL_LABEL.as_bytes())
}

/// `HKDF(prf_output, salt = vault_id, info "clavitor v1 prf-kek")`.
pub fn prf_kek(prf_output: &[u8], vault_id: &str) -> Key32 {
    hkdf32(prf_output, vault_id, LABEL_PRF_KEK)
}

/// `unlock_proof = HKDF(KEK, salt = vault_id, info "clavitor v1 unlock-proof|" + method_id)`:
/// what a client shows the server to get the wrapped copy of M (SPEC
/// section 3, "Proving an unlock"). Only someone holding the KEK can make it.
pub fn unlock_proof(kek: &Key32, vault_id: &str, method_id: &str) -> Key32 {
    hkdf32(
        kek.expose(),
        vault_id,
        &format!("{LABEL_UNLOCK_PROOF}{method_id}"),
    )
}

/// `verifier = SHA-256(unlock_proof)`: what the server keeps to check a proof.
pub fn unlock_verifier(proof: &Key32) -> [u8; 32] {
    sha256(proof.expose())
}

/// Whether `proof` (as sent, any length) matches `verifier`, in constant time.
pub fn proof_matches(proof: &[u8], verifier: &[u8]) -> bool {
    super::ct_eq(&sha256(proof), verifier)
}

/// A fresh recovery code: 32 random bytes, to be shown once with
/// [`format_recovery_code`].
pub fn generate_recovery_code() -> Zeroizing<[u8; 32]> {
    let mut code = Zeroizing::new([0u8; 32]);
    super::fill_random(code.as_mut_slice());
    code
}

/// Shows a recovery code: RFC 4648 base32, upper case, no padding, in groups
/// of four joined by `-` (13 groups, 64 characters).
pub fn format_recovery_code(code: &[u8; 32]) -> String {
    let plain = Zeroizing::new(BASE32_NOPAD.encode(code));
    let mut out = String::with_capacity(RECOVERY_CODE_CHARS + RECOVERY_CODE_CHARS / 4);
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// Reads a recovery code as a person may type it: case, spaces and dashes do
/// not matter.
pub fn parse_recovery_code(s: &str) -> Result<[u8; 32], CryptoError> {
    let mut plain = Zeroizing::new(String::with_capacity(RECOVERY_CODE_CHARS));
    for (pos, c) in s
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .enumerate()
    {
        let up = c.to_ascii_uppercase();
        if !(up.is_ascii_uppercase() || ('2'..='7').contains(&up)) {
            let hint = match c {
                '0' => " (did you mean the letter O?)",
                '1' => " (did you mean the letter I?)",
                '8' => " (did you mean the letter B?)",
                _ => "",
            };
            return Err(CryptoError::RecoveryCode(format!(
                "character {} is `{c}`, which is not used in recovery codes (they use A-Z and 2-7){hint}",
                pos + 1
            )));
        }
        plain.push(up);
    }
    if plain.len() != RECOVERY_CODE_CHARS {
        return Err(CryptoError::RecoveryCode(format!(
            "expected {RECOVERY_CODE_CHARS} letters and digits (13 groups of 4), found {}",
            plain.len()
        )));
    }
    let mut code = [0u8; 32];
    // 52 base32 characters carry 260 bits; the last character's low 4 bits
    // must be zero, so a typo there is the only way decoding can still fail.
    BASE32_NOPAD
        .decode_mut(plain.as_bytes(), &mut code)
        .map_err(|_| {
            CryptoError::RecoveryCode(
                "the last character cannot end a recovery code; check it for a typo".into(),
            )
        })?;
    Ok(code)
}

/// Wraps M under an unlock KEK: `cv1.l3.<B64(nonce || ct || tag)>` with
/// `unlock_aad(vault_id, method_id)` and a fresh random nonce.
pub fn wrap_master(kek: &Key32, vault_id: &str, method_id: &str, m: &MasterSecret) -> String {
    wrap_master_with_nonce(kek, vault_id, method_id, super::random_bytes(), m)
}

/// [`wrap_master`] with a caller-chosen nonce; for known-answer tests only.
pub fn wrap_master_with_nonce(
    kek: &Key32,
    vault_id: &str,
    method_id: &str,
    nonce: [u8; NONCE_LEN],
    m: &MasterSecret,
) -> String {
    seal::seal_with_nonce(
        kek,
        Tier::L3,
        &unlock_aad(vault_id, method_id),
        nonce,
        m.expose(),
    )
    .into_string()
}

/// What a wrapped master secret looks like on the wire, for error messages.
pub const WRAPPED_MASTER_FORMAT: &str = "cv1.l3.<base64url of 60 bytes>";

/// Whether a client-sent value has the shape of a wrapped master secret
/// ([`WRAPPED_MASTER_FORMAT`]: 32 bytes sealed for L3), checked without a key.
pub fn is_wrapped_master(wrapped: &str) -> bool {
    seal::is_sealed_key(wrapped, Tier::L3)
}

/// Unwraps M. Fails with [`CryptoError::Decrypt`] for a wrong passphrase,
/// code or passkey, or a value copied from another vault or method.
pub fn unwrap_master(
    kek: &Key32,
    vault_id: &str,
    method_id: &str,
    wrapped: &str,
) -> Result<MasterSecret, CryptoError> {
    let plain = seal::open(kek, Tier::L3, &unlock_aad(vault_id, method_id), wrapped)?;
    let bytes: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| CryptoError::Malformed("a wrapped master secret holds 32 bytes"))?;
    Ok(MasterSecret::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::vectors::{self, passkey, passphrase as pv, recovery as rv};
    use crate::crypto::{hex, unhex};

    fn master() -> MasterSecret {
        MasterSecret::from_bytes(
            unhex(vectors::MASTER_SECRET)
                .expect("hex")
                .try_into()
                .expect("32"),
        )
    }

    fn arr<const N: usize>(h: &str) -> [u8; N] {
        unhex(h).expect("hex").try_into().expect("length")
    }

    #[test]
    fn passphrase_vector() {
        let kek = passphrase_kek(
            pv::PASSPHRASE,
            &unhex(pv::SALT).expect("hex"),
            pv::ITERATIONS,
        );
        assert_eq!(hex(kek.expose()), pv::KEK);
        assert_eq!(unlock_aad(vectors::VAULT_ID, METHOD_PASSPHRASE), pv::AAD);
        assert_wraps_as_vector(&kek, METHOD_PASSPHRASE, pv::NONCE, pv::WRAPPED);
    }

    /// The vector's master secret wraps under `kek` with the vector's nonce
    /// to exactly `wrapped`, and `wrapped` opens back to it.
    fn assert_wraps_as_vector(kek: &Key32, method: &str, nonce: &str, wrapped: &str) {
        let ours = wrap_master_with_nonce(kek, vectors::VAULT_ID, method, arr(nonce), &master());
        assert_eq!(ours, wrapped, "{method}");
        let m = unwrap_master(kek, vectors::VAULT_ID, method, wrapped).expect("opens");
        assert_eq!(m, master(), "{method}");
    }

    #[test]
    fn passphrase_is_nfc_normalized() {
        let salt = [1u8; 16];
        let composed = passphrase_kek("caf\u{e9}", &salt, 1);
        let decomposed = passphrase_kek("cafe\u{301}", &salt, 1);
        assert_eq!(composed, decomposed);
        assert_ne!(composed, passphrase_kek("cafe", &salt, 1));
        assert_eq!(passphrase_kek("x", &salt, 0), passphrase_kek("x", &salt, 1));
    }

    #[test]
    fn iteration_bounds() {
        assert!(check_passphrase_iterations(PASSPHRASE_MIN_ITERATIONS).is_ok());
        assert!(check_passphrase_iterations(PASSPHRASE_MAX_ITERATIONS).is_ok());
        assert!(check_passphrase_iterations(PASSPHRASE_MIN_ITERATIONS - 1).is_err());
        assert!(check_passphrase_iterations(0).is_err());
        assert!(check_passphrase_iterations(u32::MAX).is_err());
    }

    #[test]
    fn recovery_vector() {
        let code: [u8; 32] = arr(rv::CODE);
        assert_eq!(format_recovery_code(&code), rv::DISPLAY);
        assert_eq!(parse_recovery_code(rv::DISPLAY).expect("parses"), code);
        // Salt = ASCII(vault_id) matches the vector (no salt does not).
        let kek = recovery_kek(&code, vectors::VAULT_ID);
        assert_eq!(hex(kek.expose()), rv::KEK);
        assert_ne!(hex(hkdf32(&code, "", LABEL_RECOVERY_KEK).expose()), rv::KEK);
        assert_eq!(unlock_aad(vectors::VAULT_ID, METHOD_RECOVERY), rv::AAD);
        assert_wraps_as_vector(&kek, METHOD_RECOVERY, rv::NONCE, rv::WRAPPED);
    }

    #[test]
    fn recovery_code_input_is_forgiving() {
        let code: [u8; 32] = arr(rv::CODE);
        let lower = rv::DISPLAY.to_lowercase();
        let spaced = rv::DISPLAY.replace('-', " ");
        let bare = rv::DISPLAY.replace('-', "");
        let messy = format!("  {}\n", lower.replace('-', " - "));
        for input in [lower.as_str(), &spaced, &bare, &messy] {
            assert_eq!(
                parse_recovery_code(input).expect("parses"),
                code,
                "{input:?}"
            );
        }
        let fresh = generate_recovery_code();
        assert_eq!(
            parse_recovery_code(&format_recovery_code(&fresh)).expect("round trip"),
            *fresh
        );
    }

    #[test]
    fn recovery_code_errors_are_clear() {
        let short = &rv::DISPLAY[..rv::DISPLAY.len() - 1];
        let msg = parse_recovery_code(short).expect_err("short").to_string();
        assert!(msg.contains("expected 52"), "{msg}");
        assert!(msg.contains("found 51"), "{msg}");
        let long = format!("{}A", rv::DISPLAY);
        assert!(parse_recovery_code(&long)
            .expect_err("long")
            .to_string()
            .contains("found 53"));
        let zero = rv::DISPLAY.replacen('O', "0", 1);
        let msg = parse_recovery_code(&zero)
            .expect_err("bad char")
            .to_string();
        assert!(msg.contains("letter O"), "{msg}");
        assert!(msg.contains("character 7"), "{msg}");
        assert!(parse_recovery_code("").is_err());
        assert!(parse_recovery_code("ÄÄÄÄ").is_err());
        // Last character with nonzero trailing bits: 'R' = 0b10001 (the real one, 'Q', is 0b10000).
        let bad_tail = format!("{}R", &rv::DISPLAY[..rv::DISPLAY.len() - 1]);
        let msg = parse_recovery_code(&bad_tail)
            .expect_err("tail")
            .to_string();
        assert!(msg.contains("last character"), "{msg}");
    }

    #[test]
    fn passkey_vector() {
        assert_eq!(hex(&prf_eval_input()), passkey::PRF_EVAL_INPUT);
        let prf = unhex(passkey::PRF_OUTPUT).expect("hex");
        // Salt = ASCII(vault_id) matches the vector (no salt does not).
        assert_eq!(hex(prf_kek(&prf, vectors::VAULT_ID).expose()), passkey::KEK);
        assert_ne!(hex(hkdf32(&prf, "", LABEL_PRF_KEK).expose()), passkey::KEK);
    }

    /// `unlock.proofs` of shared/test-vectors.json: one proof per method, from the
    /// passphrase, recovery and passkey KEKs above.
    #[test]
    fn unlock_proof_vectors() {
        let keks = [pv::KEK, rv::KEK, passkey::KEK];
        assert_eq!(vectors::PROOFS.len(), keks.len());
        for (p, kek) in vectors::PROOFS.iter().zip(keks) {
            assert_eq!(format!("{LABEL_UNLOCK_PROOF}{}", p.method_id), p.info);
            let kek = Key32::from_bytes(arr(kek));
            let proof = unlock_proof(&kek, vectors::VAULT_ID, p.method_id);
            assert_eq!(hex(proof.expose()), p.proof, "{}", p.method_id);
            assert_eq!(hex(&unlock_verifier(&proof)), p.verifier, "{}", p.method_id);
            let verifier = unhex(p.verifier).expect("hex");
            assert!(proof_matches(proof.expose(), &verifier));
            assert!(!proof_matches(&proof.expose()[..31], &verifier));
            // A proof is bound to its vault and method.
            assert_ne!(unlock_proof(&kek, "another-vault", p.method_id), proof);
            assert_ne!(unlock_proof(&kek, vectors::VAULT_ID, "other"), proof);
        }
        assert_eq!(vectors::PROOFS[2].method_id, passkey::CREDENTIAL_ID);
    }

    #[test]
    fn unwrap_fails_for_wrong_kek_vault_or_method() {
        let m = MasterSecret::generate();
        let kek = Key32::generate();
        let wrapped = wrap_master(&kek, "vault-a", "passphrase", &m);
        assert!(wrapped.starts_with("cv1.l3."));
        assert_eq!(
            unwrap_master(&kek, "vault-a", "passphrase", &wrapped).expect("opens"),
            m
        );
        for (k, v, meth) in [
            (&Key32::generate(), "vault-a", "passphrase"),
            (&kek, "vault-b", "passphrase"),
            (&kek, "vault-a", "recovery"),
        ] {
            assert!(matches!(
                unwrap_master(k, v, meth, &wrapped),
                Err(CryptoError::Decrypt)
            ));
        }
        // A sealed value of the wrong length is refused after it opens.
        let short = seal::seal(
            &kek,
            Tier::L3,
            &unlock_aad("vault-a", "passphrase"),
            &[0u8; 31],
        );
        assert!(matches!(
            unwrap_master(&kek, "vault-a", "passphrase", short.as_str()),
            Err(CryptoError::Malformed(_))
        ));
        assert!(unwrap_master(&kek, "vault-a", "passphrase", "cv1.l3.").is_err());
    }
}
