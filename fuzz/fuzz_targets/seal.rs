//! Sealed values (`cv1.<tier>.<b64>`): arbitrary text is refused cleanly by
//! `sealed_tier` and `open`, and sealing round-trips.
#![no_main]

use clavitor::crypto::seal::{self, Tier};
use clavitor::crypto::Key32;
use clavitor::ids::{EntryId, VaultId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = Key32::from_slice(&[9u8; 32]).unwrap();
    let text = String::from_utf8_lossy(data);
    let vault = VaultId::parse("00112233445566778899aabbccddeeff").unwrap();
    let entry = EntryId::parse("ffeeddccbbaa99887766554433221100").unwrap();
    let aad = seal::field_aad(&vault, &entry, "password", Tier::L2);
    let structural = seal::sealed_tier(&text);
    for tier in [Tier::L1, Tier::L2, Tier::L3] {
        let opened = seal::open(&key, tier, &aad, &text);
        // Nothing opens that is not well formed.
        if opened.is_ok() {
            assert_eq!(structural.as_ref().ok(), Some(&tier));
        }
    }
    // Round trip: the input as plaintext.
    let sealed = seal::seal(&key, Tier::L3, &aad, data);
    assert_eq!(seal::sealed_tier(sealed.as_str()).ok(), Some(Tier::L3));
    let back = seal::open(&key, Tier::L3, &aad, sealed.as_str()).expect("opens");
    assert_eq!(&back[..], data);
    assert!(seal::open(&key, Tier::L2, &aad, sealed.as_str()).is_err());
});
