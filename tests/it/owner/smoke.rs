use crate::common;
use common::*;

#[test]
fn owner_can_store_and_read_back_a_login() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let (id, body) = vault.login_entry("GitHub", "alice", "hunter2");
    let (st, v) = vault.call(&server, "POST", "/api/v1/entries", Some(&body));
    assert_eq!(st, 201, "{v}");
    let (st, v) = vault.call(&server, "GET", &format!("/api/v1/entries/{id}"), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["title"], "GitHub");
    let sealed = v["fields"][1]["value"].as_str().unwrap();
    assert_eq!(vault.open_l2(&id, "password", sealed), "hunter2");
}
