//! SSH key type and fingerprint.

use super::typed;
use crate::import::Item;

/// The key type named by an OpenSSH public key ("ssh-ed25519") or a PEM
/// private key header ("RSA"); "" when neither says.
pub(crate) fn ssh_key_type(public: &str, private: &str) -> String {
    if let Some(t) = public
        .split_whitespace()
        .next()
        .filter(|t| t.starts_with("ssh-") || t.starts_with("ecdsa-"))
    {
        return t.to_string();
    }
    // "OPENSSH" and PKCS#8 headers name a container, not the key type.
    let header = private.lines().next().unwrap_or_default().trim();
    match header
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix(" PRIVATE KEY-----"))
    {
        Some(t @ ("RSA" | "DSA" | "EC")) => t.to_string(),
        _ => String::new(),
    }
}

/// The OpenSSH SHA-256 fingerprint ("SHA256:…") of a public key line.
pub(crate) fn ssh_fingerprint(public: &str) -> Option<String> {
    let blob = public.split_whitespace().nth(1)?;
    let raw = data_encoding::BASE64.decode(blob.as_bytes()).ok()?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &raw);
    Some(format!(
        "SHA256:{}",
        data_encoding::BASE64_NOPAD.encode(digest.as_ref())
    ))
}

/// Fills the ssh_key typed fields from a key pair.
pub(crate) fn ssh_key(item: &mut Item, public: &str, private: &str) {
    typed(item, "public_key", public);
    if !private.trim().is_empty() {
        // Byte for byte: some tools reject a key file without its final newline.
        item.typed.insert("private_key".into(), private.to_string());
    }
    typed(item, "key_type", &ssh_key_type(public, private));
    if let Some(fp) = ssh_fingerprint(public) {
        typed(item, "fingerprint", &fp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_type_and_fingerprint() {
        assert_eq!(ssh_key_type("ssh-ed25519 AAAA", ""), "ssh-ed25519");
        assert_eq!(
            ssh_key_type("", "-----BEGIN RSA PRIVATE KEY-----\nx"),
            "RSA"
        );
        assert_eq!(
            ssh_key_type("", "-----BEGIN OPENSSH PRIVATE KEY-----\nx"),
            ""
        );
        // The digest `ssh-keygen -lf` prints for this key.
        let pk = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb8Yy0p4nW1vY9bXJpOkq2m5M0n2xKq3XQ2pKz1dE5c";
        assert_eq!(
            ssh_fingerprint(pk).as_deref(),
            Some("SHA256:eLJnV0Svw6jnA/0+5heYu1dmC5iILDWrIF44+nOdGrY")
        );
        assert_eq!(ssh_fingerprint("ssh-rsa !!!"), None);
    }
}
