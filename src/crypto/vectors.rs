//! Known answers from `shared/test-vectors.json` (computed by an independent
//! Python `cryptography` implementation), copied here as literals so the
//! tests pass without `shared/`. Byte strings are lowercase hex unless the
//! name ends in `_B64`. [`tests::literals_match_shared_file`] re-checks them
//! against the shared file whenever it is present.

pub const VAULT_ID: &str = "f73de89fb22ecd1310f333e6f4575bb7";
pub const ENTRY_ID: &str = "5183b53235b859a94bd646813c0aac72";
pub const AGENT_ID: &str = "afe1e732cc9cf6aeaffc14024ad26ca5";
pub const MASTER_SECRET: &str = "762d602b68307fb107806a6053e05a3efc0b8261f0aa71ba5ac13e5aad6d2402";

pub mod hkdf {
    pub const K_AUTH: &str = "22f4e4b8be9e64bd8ab105c87894e72f13d1ac33d7a1349f63cb4140693892f2";
    pub const K1: &str = "16a97e25ea98505664c267a32434ee44ab3b1632fa6103b8315da25aca86f641";
    pub const K2: &str = "5d53905bf70c9d251a51cde9a7cd88c8414a5de122ad75e1149af5614510eeb7";
    pub const K3: &str = "0f13018ace3954ea50b2a93f4734a1e8116924dfde5ecddadebb1f18df39079b";
    pub const K_IDX: &str = "0927ff96ad55a844d2a89eaa7f1bcfc463be9db0f87074c2c2d01826b9f71c50";
}

pub const OWNER_VERIFIER: &str = "1d4a3360cc42d7e4565b204bef394d2cab0a1773b1a1be76ad067a7fe182b182";
pub const L1_CHECK: &str = "4ae4c15b8ece5b9358cc4d636d5c1e41d59f512a731b29a4a3463002417eddf3";

pub mod title_index {
    pub const TITLE: &str = "  GitHub Deploy ";
    pub const NORMALIZED: &str = "github deploy";
    pub const TITLE_IDX: &str = "48cc3ca93c2aaf84d1ebea0f9f8194b8500987fb6f33cf892cdcf29e49a9323f";
}

/// One sealed-value vector.
pub struct Sealed {
    /// Which derived key seals it: "K1", "K2" or "K3".
    pub key: &'static str,
    pub tier: &'static str,
    pub name: &'static str,
    pub nonce: &'static str,
    pub plaintext: &'static str,
    pub aad: &'static str,
    pub sealed: &'static str,
}

pub const SEALED: [Sealed; 3] = [
    Sealed {
        key: "K2",
        tier: "l2",
        name: "password",
        nonce: "9c50c30a1f5e29f75063772a",
        plaintext: "hunter2 ✓",
        aad: "clavitor v1|f73de89fb22ecd1310f333e6f4575bb7|5183b53235b859a94bd646813c0aac72|password|l2",
        sealed: "cv1.l2.nFDDCh9eKfdQY3cqCQMBDSKPAavqevUXUBamzZ5CTi6QtC9fRZtv",
    },
    Sealed {
        key: "K3",
        tier: "l3",
        name: "number",
        nonce: "fbf10880990547838427bfe9",
        plaintext: "4111111111111111",
        aad: "clavitor v1|f73de89fb22ecd1310f333e6f4575bb7|5183b53235b859a94bd646813c0aac72|number|l3",
        sealed: "cv1.l3.-_EIgJkFR4OEJ7_pgOP12VSBrAweOMAqZfi7z-0U37nn8a4Cjyqj3lsyZPM",
    },
    Sealed {
        key: "K1",
        tier: "l1",
        name: "doc",
        nonce: "527a9de387d4479f6fda5040",
        plaintext: "{\"type\":\"login\",\"title\":\"GitHub Deploy\",\"urls\":[\"https://github.com\"],\"notes\":\"\",\"fields\":[{\"name\":\"username\",\"label\":\"Username\",\"kind\":\"text\",\"tier\":\"l1\",\"value\":\"alice\"},{\"name\":\"password\",\"label\":\"Password\",\"kind\":\"secret\",\"tier\":\"l2\",\"value\":\"cv1.l2.nFDDCh9eKfdQY3cqCQMBDSKPAavqevUXUBamzZ5CTi6QtC9fRZtv\"}]}",
        aad: "clavitor v1|f73de89fb22ecd1310f333e6f4575bb7|5183b53235b859a94bd646813c0aac72|doc|l1",
        sealed: "cv1.l1.Unqd44fUR59v2lBAIzyUWOOz-nCjgHgfr_lbwJMeJn21w7L2Xo2oCI1avYSQ9n9N9p4xOdwHDyPFkXugYAa_Eemz5m4Mtp51O1j0_4a80Gc4_UStCxpN26UilxMWShY7pPwBQj-LqC_xbRuwjynFxYMfaDpRCAsc282BUCXWciMvmL9xqmRDPGG37JU5gaciCtwhip-MDIXJWST8QDp7smjWTWa2v96TEmcDX5Y1vEF38PMT9q3buufhBRDGc-0dztyBc6cHrv26vE3t-rY3ZdoB9Hi24OFhCUBPjKySovVgumXTKUKyz5deEFQWjoeZjkmzhlQUJsTgjE54Ys-F94SWAeVpINfIU6FyoGWJobzZfe-_ASwrQnX6HWJqSZ9Ds-HcHvK2WN_PuGaUh_WgeQ1En9NAfgSwKPPYPTcVBb5Fj98WlqW88jqrpW4ytBsjUEw",
    },
];

pub mod passphrase {
    pub const PASSPHRASE: &str = "correct horse battery staple";
    pub const SALT: &str = "99bec5479928ef8ef248c32f76091c80";
    pub const ITERATIONS: u32 = 600_000;
    pub const KEK: &str = "6728ae6cd7c2d3643bbee6b545c95aa55fe95c8bb0b9d65511cd37ff48cd0655";
    pub const NONCE: &str = "e7c21d6d4814a3154ceff154";
    pub const AAD: &str = "clavitor v1|f73de89fb22ecd1310f333e6f4575bb7|unlock|passphrase";
    pub const WRAPPED: &str =
        "cv1.l3.58IdbUgUoxVM7_FUit4u9_Fh73r-cfLH-IOizir4IMwHqw0tQJvNxmYc6bSIfMa6AhyZSuICs_v3Gwmh";
}

pub mod recovery {
    pub const CODE: &str = "e2400f69c345569f85af6f967e5dc737cb1751b67b6e5d2d3c2ed040cb26c3cf";
    pub const DISPLAY: &str = "4JAA-62OD-IVLJ-7BNP-N6LH-4XOH-G7FR-OUNW-PNXF-2LJ4-F3IE-BSZG-YPHQ";
    pub const KEK: &str = "6c266c2a773083d7797d718ff7d4521aa19fcf0e66476f9149acdfd37eb932ac";
    pub const NONCE: &str = "e7c21d6d4814a3154ceff154";
    pub const AAD: &str = "clavitor v1|f73de89fb22ecd1310f333e6f4575bb7|unlock|recovery";
    pub const WRAPPED: &str =
        "cv1.l3.58IdbUgUoxVM7_FU6ncyPLRvU5ZlKKbYzFUxZ1mtDcJk2qI6p-I1jNlbQjmd8tOkGvR_VkIIrAyMks0p";
}

pub mod passkey {
    pub const PRF_EVAL_INPUT: &str =
        "3d47b83bb004fe7fab3ce273dd87b8b3c3ebe219a47761092722d0000dc8fde9";
    pub const PRF_OUTPUT: &str = "5ed95be90f5dbf2cb488c48e35753ce89b5e1e6f5e1b68caef8cc2d998247520";
    pub const KEK: &str = "eea2fade7546a7e5ff7c0c2b8a9bb7b88a3f793fc0b11c2629f650c1f23e1195";
    pub const CREDENTIAL_ID: &str = "nMFr-YVKKjTb7wuyZm1fcg";
}

/// One known answer of `unlock.proofs` (SPEC section 3, "Proving an unlock").
pub struct Proof {
    pub method_id: &'static str,
    pub info: &'static str,
    pub proof: &'static str,
    pub verifier: &'static str,
}

/// `unlock.proofs`: from the passphrase, recovery and passkey KEKs, in that order.
pub const PROOFS: &[Proof] = &[
    Proof {
        method_id: "passphrase",
        info: "clavitor v1 unlock-proof|passphrase",
        proof: "1d07750edf016857ae7c051335a82134b6c91275fa19d02ba92d19bd1b9100e2",
        verifier: "079f39466851572a89642c08d15af71355bc5ac3d2d8a769f042fe2b02f46845",
    },
    Proof {
        method_id: "recovery",
        info: "clavitor v1 unlock-proof|recovery",
        proof: "d4768a02beeb1a74098720ec9f8c5fe67b63ea7f0d55a03265798212bd6caf2f",
        verifier: "ee338891d6bf896f11ffa537d2f3da44573f6f99902cfc1c579b32921df42821",
    },
    Proof {
        method_id: "nMFr-YVKKjTb7wuyZm1fcg",
        info: "clavitor v1 unlock-proof|nMFr-YVKKjTb7wuyZm1fcg",
        proof: "0b6d97f7bdf35abcab063962e887f0514444a86011bad1f32868d0a5f0f762a2",
        verifier: "25d70f8666a76920304efb4961c96b5ed1a056435490500ac46a375d276b8b3c",
    },
];

pub mod wire_token {
    pub const K_POP: &str = "ed1e3befbc9ae288a9645f61d54f81025a2803e962541ffca9720d8ca3dbdf82";
    pub const KEY_ID: u8 = 1;
    pub const NONCE: &str = "24e55e11186adc3b335acc79";
    pub const KIND: u8 = 2;
    pub const PRINCIPAL_ID: &str = "afe1e732cc9cf6aeaffc14024ad26ca5";
    pub const ISSUED_AT: u64 = 1767225600;
    pub const EXPIRES_AT: u64 = 1767268800;
    pub const GENERATION: u32 = 3;
    pub const PAYLOAD: &str = "f73de89fb22ecd1310f333e6f4575bb702afe1e732cc9cf6aeaffc14024ad26ca516a97e25ea98505664c267a32434ee44ab3b1632fa6103b8315da25aca86f641000000006955b90000000000695661c000000003";
    pub const TOKEN: &str = "cvt0.AAEk5V4RGGrcOzNazHm3Flh6AnpUvqaKaDXYE4WJRHKTfO8R56kO8ATxn6rSiBgc7nGdEty5e2DyZ-nw1IFo5v0tzVS_QQ4DOGBnF3vNJbUsmXFUtU9TPz-qhC8q9B_5ZczYyOPHbKf7oa3jAHja3BdHRw";
}

/// Same K_pop, key id and nonce as [`wire_token`].
pub mod owner_token {
    pub const KIND: u8 = 1;
    pub const ISSUED_AT: u64 = 1767225600;
    pub const EXPIRES_AT: u64 = 0;
    pub const GENERATION: u32 = 0;
    pub const PAYLOAD: &str = "f73de89fb22ecd1310f333e6f4575bb7010000000000000000000000000000000016a97e25ea98505664c267a32434ee44ab3b1632fa6103b8315da25aca86f641000000006955b900000000000000000000000000";
    pub const TOKEN: &str = "cvt0.AAEk5V4RGGrcOzNazHm3Flh6AnpUvqaKaDXYE4WJR91ym93de1-gX_jlneAA5L0c7nGdEty5e2DyZ-nw1IFo5v0tzVS_QQ4DOGBnF3vNJbUsmXFUtU9TPz-qhEZ8ld_5ZczbMnE-rgiDc27yRjN69nHOJQ";
}

pub mod client_credential {
    pub const SERVER_URL: &str = "https://vault.example.org:1984";
    pub const WIRE_TOKEN: &str = "cvt0.AAEk5V4RGGrcOzNazHm3Flh6AnpUvqaKaDXYE4WJRHKTfO8R56kO8ATxn6rSiBgc7nGdEty5e2DyZ-nw1IFo5v0tzVS_QQ4DOGBnF3vNJbUsmXFUtU9TPz-qhC8q9B_5ZczYyOPHbKf7oa3jAHja3BdHRw";
    pub const K2: &str = "5d53905bf70c9d251a51cde9a7cd88c8414a5de122ad75e1149af5614510eeb7";
    pub const CREDENTIAL: &str = "cvc1.AQAeaHR0cHM6Ly92YXVsdC5leGFtcGxlLm9yZzoxOTg0AJ9jdnQwLkFBRWs1VjRSR0dyY096TmF6SG0zRmxoNkFucFV2cWFLYURYWUU0V0pSSEtUZk84UjU2a084QVR4bjZyU2lCZ2M3bkdkRXR5NWUyRHlaLW53MUlGbzV2MHR6VlNfUVE0RE9HQm5GM3ZOSmJVc21YRlV0VTlUUHotcWhDOHE5Ql81WmN6WXlPUEhiS2Y3b2EzakFIamEzQmRIUnf3Peifsi7NExDzM-b0V1u3XVOQW_cMnSUaUc3pp82IyEFKXeEirXXhFJr1YUUQ7rc";
}

pub mod replication {
    pub const KEY: &str = "28a6c33b9dbdf28e650f8d947bed4c1a8bd1154ddba3e7f6846c1d94217ac3eb";
    pub const TS: &str = "1767225600";
    pub const NONCE_B64: &str = "pgONARgYS3sIH4kvIUG9Jw";
    pub const BODY: &str = "{\"pop_id\":\"calgary-01\",\"records\":[]}";
    pub const MESSAGE: &str = "POST\n/api/v1/replication/apply\n1767225600\npgONARgYS3sIH4kvIUG9Jw\n7cc417147dfdca3131ee1aedf2d22a97b17a839e93538c933a0b15db14fca974";
    pub const SIG_B64: &str = "-NOYC1D3V1i8LmY0P4TeHnBsGiD6xfylVhgbsxLBeic";
    pub const HEADER: &str = "Clavitor-HMAC pop=calgary-01,ts=1767225600,nonce=pgONARgYS3sIH4kvIUG9Jw,sig=-NOYC1D3V1i8LmY0P4TeHnBsGiD6xfylVhgbsxLBeic";
}

mod tests {
    use serde_json::Value;

    /// The shared file sits beside the repository (`../shared/`) in the
    /// project's layout; `CLAVITOR_TEST_VECTORS` overrides the path. When
    /// neither exists the literals above are the only source and this test
    /// has nothing to compare.
    fn shared_vectors() -> Option<Value> {
        let path = std::env::var_os("CLAVITOR_TEST_VECTORS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/test-vectors.json")
            });
        let text = std::fs::read_to_string(path).ok()?;
        Some(serde_json::from_str(&text).expect("shared/test-vectors.json is valid JSON"))
    }

    fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
        v.pointer(ptr)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{ptr} is a string in test-vectors.json"))
    }

    fn n(v: &Value, ptr: &str) -> u64 {
        v.pointer(ptr)
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("{ptr} is a number in test-vectors.json"))
    }

    #[test]
    fn literals_match_shared_file() {
        use super::*;
        let Some(v) = shared_vectors() else {
            eprintln!(
                "\n*** SKIPPED: ../shared/test-vectors.json not found; the vector literals in \
                 src/crypto/vectors.rs were not re-checked against the shared file (CI has it) ***\n"
            );
            return;
        };
        let v = &v;
        let strs: &[(&str, &str)] = &[
            ("/vault_id", VAULT_ID),
            ("/entry_id", ENTRY_ID),
            ("/agent_id", AGENT_ID),
            ("/master_secret", MASTER_SECRET),
            ("/hkdf/salt_ascii", VAULT_ID),
            ("/hkdf/K_auth", hkdf::K_AUTH),
            ("/hkdf/K1", hkdf::K1),
            ("/hkdf/K2", hkdf::K2),
            ("/hkdf/K3", hkdf::K3),
            ("/hkdf/K_idx", hkdf::K_IDX),
            ("/owner_verifier", OWNER_VERIFIER),
            ("/l1_check", L1_CHECK),
            ("/title_index/title", title_index::TITLE),
            ("/title_index/normalized", title_index::NORMALIZED),
            ("/title_index/title_idx", title_index::TITLE_IDX),
            ("/unlock/passphrase/passphrase", passphrase::PASSPHRASE),
            ("/unlock/passphrase/salt", passphrase::SALT),
            ("/unlock/passphrase/kek", passphrase::KEK),
            ("/unlock/passphrase/nonce", passphrase::NONCE),
            ("/unlock/passphrase/aad_ascii", passphrase::AAD),
            ("/unlock/passphrase/wrapped", passphrase::WRAPPED),
            ("/unlock/recovery/recovery_code", recovery::CODE),
            ("/unlock/recovery/recovery_code_display", recovery::DISPLAY),
            ("/unlock/recovery/kek", recovery::KEK),
            ("/unlock/recovery/nonce", recovery::NONCE),
            ("/unlock/recovery/aad_ascii", recovery::AAD),
            ("/unlock/recovery/wrapped", recovery::WRAPPED),
            ("/unlock/passkey/prf_eval_input", passkey::PRF_EVAL_INPUT),
            ("/unlock/passkey/prf_output", passkey::PRF_OUTPUT),
            ("/unlock/passkey/kek", passkey::KEK),
            ("/unlock/passkey/credential_id_b64", passkey::CREDENTIAL_ID),
            ("/wire_token/K_pop", wire_token::K_POP),
            ("/wire_token/nonce", wire_token::NONCE),
            ("/wire_token/principal_id", wire_token::PRINCIPAL_ID),
            ("/wire_token/payload", wire_token::PAYLOAD),
            ("/wire_token/token", wire_token::TOKEN),
            ("/owner_token/payload", owner_token::PAYLOAD),
            ("/owner_token/token", owner_token::TOKEN),
            (
                "/client_credential/server_url",
                client_credential::SERVER_URL,
            ),
            (
                "/client_credential/wire_token",
                client_credential::WIRE_TOKEN,
            ),
            ("/client_credential/K2", client_credential::K2),
            (
                "/client_credential/credential",
                client_credential::CREDENTIAL,
            ),
            ("/replication_hmac/key", replication::KEY),
            ("/replication_hmac/ts", replication::TS),
            ("/replication_hmac/nonce_b64", replication::NONCE_B64),
            ("/replication_hmac/body_utf8", replication::BODY),
            ("/replication_hmac/message_utf8", replication::MESSAGE),
            ("/replication_hmac/sig_b64", replication::SIG_B64),
            ("/replication_hmac/header", replication::HEADER),
        ];
        for (ptr, lit) in strs {
            assert_eq!(s(v, ptr), *lit, "{ptr}");
        }
        let nums: &[(&str, u64)] = &[
            (
                "/unlock/passphrase/iterations",
                passphrase::ITERATIONS.into(),
            ),
            ("/wire_token/key_id", wire_token::KEY_ID.into()),
            ("/wire_token/kind", wire_token::KIND.into()),
            ("/wire_token/issued_at", wire_token::ISSUED_AT),
            ("/wire_token/expires_at", wire_token::EXPIRES_AT),
            ("/wire_token/generation", wire_token::GENERATION.into()),
            ("/owner_token/kind", owner_token::KIND.into()),
            ("/owner_token/issued_at", owner_token::ISSUED_AT),
            ("/owner_token/expires_at", owner_token::EXPIRES_AT),
            ("/owner_token/generation", owner_token::GENERATION.into()),
        ];
        for (ptr, lit) in nums {
            assert_eq!(n(v, ptr), *lit, "{ptr}");
        }
        let proofs = v["unlock"]["proofs"]
            .as_array()
            .expect("unlock.proofs is an array");
        assert_eq!(proofs.len(), PROOFS.len());
        for (i, lit) in PROOFS.iter().enumerate() {
            let p = |f: &str| format!("/unlock/proofs/{i}/{f}");
            assert_eq!(s(v, &p("method_id")), lit.method_id);
            assert_eq!(s(v, &p("info_ascii")), lit.info);
            assert_eq!(s(v, &p("proof")), lit.proof);
            assert_eq!(s(v, &p("verifier_sha256")), lit.verifier);
        }
        let sealed = v["sealed"].as_array().expect("sealed is an array");
        assert_eq!(sealed.len(), SEALED.len());
        for (i, lit) in SEALED.iter().enumerate() {
            let p = |f: &str| format!("/sealed/{i}/{f}");
            assert_eq!(s(v, &p("key")), lit.key);
            assert_eq!(s(v, &p("tier")), lit.tier);
            assert_eq!(s(v, &p("name")), lit.name);
            assert_eq!(s(v, &p("nonce")), lit.nonce);
            assert_eq!(s(v, &p("plaintext_utf8")), lit.plaintext);
            assert_eq!(s(v, &p("aad_ascii")), lit.aad);
            assert_eq!(s(v, &p("sealed")), lit.sealed);
        }
    }
}
