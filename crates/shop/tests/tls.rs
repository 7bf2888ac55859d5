//! HTTPS between a shop and HQ: HQ serves TLS from a PEM certificate and key; the shop's
//! client trusts HQ's own certificate authority when `sync.hq_ca_cert` names it, and
//! without it refuses the certificate with a message that says what to do.

use comptoir_core::Lang;
use comptoir_hq::{Hq, HqConfig, HqStorage};
use comptoir_hq_sqlite::SqliteStorage;
use comptoir_shop::ShopError;
use comptoir_shop::config::SyncConfig;
use comptoir_shop::sync::client::HqClient;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const PASSWORD: &str = "hq-admin-password";

/// A certificate authority and a certificate for 127.0.0.1 signed by it, as PEM files.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki(dir: &Path) -> Pki {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Comptoir test CA");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, "hq.test");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let files = Pki { ca: dir.join("ca.pem"), cert: dir.join("hq.pem"), key: dir.join("hq.key") };
    std::fs::write(&files.ca, ca.pem()).unwrap();
    std::fs::write(&files.cert, cert.pem()).unwrap();
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    files
}

/// An HQ over HTTPS with shop LYON1 created; returns its URL and LYON1's enrolment token.
async fn hq_over_tls(dir: &Path, pki: &Pki) -> (String, String) {
    let storage: Arc<dyn HqStorage> = Arc::new(SqliteStorage::create(&dir.join("hq.sqlite")).unwrap());
    let identity = comptoir_protocol::HqIdentity { id: uuid::Uuid::new_v4(), name: "Comptoir HQ".into() };
    storage.initialise(&identity, "admin", &comptoir_core::secret::hash_secret(PASSWORD)).await.unwrap();
    let config = HqConfig { tls_cert: Some(pki.cert.clone()), tls_key: Some(pki.key.clone()), ..HqConfig::default() };
    let shop =
        comptoir_protocol::ShopIdentity { code: "LYON1".into(), name: "Lyon".into(), postal_code: "69003".into() };
    let (_, token) = comptoir_hq::api::admin::add_shop(storage.as_ref(), 7, shop).await.unwrap();
    let hq = Hq::open(storage, config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(comptoir_hq::server::serve(hq, listener, std::future::pending()));
    (format!("https://{addr}"), token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_trusts_hqs_own_ca_when_told_and_refuses_it_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let (url, token) = hq_over_tls(dir.path(), &pki).await;
    let timeout = Duration::from_secs(10);

    // Without the CA: refused, and the message names the setting to use.
    let plain = HqClient::new(&url, None, timeout).unwrap();
    let err = plain.enrol(&token).await.unwrap_err();
    assert!(matches!(err, ShopError::HqCertificate { .. }), "{err:?}");
    assert_eq!(err.kind(), "hq_certificate");
    assert!(err.message(Lang::En).contains("sync.hq_ca_cert"), "{}", err.message(Lang::En));
    assert!(err.message(Lang::Fr).contains("autorité de certification"), "{}", err.message(Lang::Fr));

    // With `sync.hq_ca_cert`: enrolment and hello work over HTTPS.
    let sync = SyncConfig { hq_ca_cert: Some(pki.ca.clone()), ..SyncConfig::default() };
    let client = HqClient::with_config(&url, None, timeout, &sync).unwrap();
    let enrolled = client.enrol(&token).await.expect("enrolment over HTTPS");
    assert_eq!(enrolled.shop.code, "LYON1");
    let client = HqClient::with_config(&url, Some(enrolled.credential.clone()), timeout, &sync).unwrap();
    let hello = client.hello(timeout).await.expect("hello over HTTPS");
    assert_eq!((hello.shop.code.as_str(), hello.hq.id), ("LYON1", enrolled.hq.id));

    // Plain HTTP to the HTTPS port gets nothing usable.
    let http = HqClient::new(&url.replace("https://", "http://"), Some(enrolled.credential), timeout).unwrap();
    assert!(http.hello(timeout).await.is_err());

    // A CA file that is no certificate is refused with a clear message.
    std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
    let junk = SyncConfig { hq_ca_cert: Some(dir.path().join("junk.pem")), ..SyncConfig::default() };
    let Err(err) = HqClient::with_config(&url, None, timeout, &junk) else { panic!("a junk CA file accepted") };
    assert!(err.message(Lang::Fr).contains("aucun certificat PEM"), "{}", err.message(Lang::Fr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_refuses_to_start_with_half_or_broken_tls_settings() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let half = HqConfig { tls_cert: Some(pki.cert.clone()), ..HqConfig::default() };
    let err = comptoir_hq::server::tls_acceptor(&half).err().expect("cert without key refused");
    assert_eq!(err.kind(), "tls");
    assert!(err.message(Lang::En).contains("go together"), "{}", err.message(Lang::En));
    assert!(err.message(Lang::Fr).contains("vont ensemble"), "{}", err.message(Lang::Fr));
    let swapped = HqConfig { tls_cert: Some(pki.key.clone()), tls_key: Some(pki.cert.clone()), ..HqConfig::default() };
    let err = comptoir_hq::server::tls_acceptor(&swapped).err().expect("swapped files refused");
    assert!(err.message(Lang::En).contains("HTTPS cannot start"), "{}", err.message(Lang::En));
    let good = HqConfig { tls_cert: Some(pki.cert), tls_key: Some(pki.key), ..HqConfig::default() };
    assert!(comptoir_hq::server::tls_acceptor(&good).unwrap().is_some());
    assert!(comptoir_hq::server::tls_acceptor(&HqConfig::default()).unwrap().is_none(), "plain HTTP by default");
}
