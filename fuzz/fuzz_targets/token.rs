//! Wire tokens, client credentials and the keyring file: arbitrary text must
//! be refused cleanly, and whatever is sealed must open to the same claims.
#![no_main]

use clavitor::crypto::token::{
    open_token, seal_token, ClientCredential, Keyring, PrincipalKind, TokenClaims,
};
use clavitor::crypto::Key32;
use libfuzzer_sys::fuzz_target;

/// A fixed keyring with ids 1 and 7 (tokens name their key id in the header).
fn keyring() -> Keyring {
    Keyring::parse(
        "1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n7 BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc\n",
    )
    .expect("fixed keyring parses")
}

fuzz_target!(|data: &[u8]| {
    let ring = keyring();
    let text = String::from_utf8_lossy(data);
    let _ = open_token(&ring, &text);
    let _ = Keyring::parse(&text);
    if let Ok(cred) = ClientCredential::decode(&text) {
        // What decodes re-encodes to something that decodes to the same credential.
        let again = cred.encode().expect("a decoded credential encodes");
        assert_eq!(ClientCredential::decode(&again).expect("re-decodes"), cred);
    }
    // Claims built from the input survive seal → open unchanged.
    if data.len() >= 85 {
        let arr = |r: std::ops::Range<usize>| data[r].to_vec();
        let claims = TokenClaims {
            vault_id: arr(0..16).try_into().unwrap(),
            kind: if data[16] & 1 == 0 {
                PrincipalKind::Owner
            } else {
                PrincipalKind::Agent
            },
            principal_id: arr(17..33).try_into().unwrap(),
            k1: Key32::from_slice(&data[33..65]).unwrap(),
            issued_at: u64::from_be_bytes(arr(65..73).try_into().unwrap()),
            expires_at: u64::from_be_bytes(arr(73..81).try_into().unwrap()),
            generation: u32::from_be_bytes(arr(81..85).try_into().unwrap()),
        };
        let token = seal_token(&ring, &claims);
        let opened = open_token(&ring, &token).expect("a sealed token opens");
        assert_eq!(opened.vault_id, claims.vault_id);
        assert_eq!(opened.principal_id, claims.principal_id);
        assert_eq!(opened.k1.expose(), claims.k1.expose());
        assert_eq!(
            (opened.issued_at, opened.expires_at, opened.generation),
            (claims.issued_at, claims.expires_at, claims.generation)
        );
    }
});
