//! The template chain every round copies (HQ and two enrolled shops), and the shop's small
//! data directory whose disk a round fills.

use super::{ARTICLES, REGISTERS, SHOPS};
use crate::bench::chain::{ADMIN, HqProcess, PASSWORD};
use crate::bench::harness;
use crate::fixtures::catalog_csv;
use comptoir_shop::sync::SyncAgent;
use comptoir_shop::{Shop, ShopConfig, ShopError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An HQ with the catalog and the two shops enrolled, their registers and cashier made,
/// every database checkpointed so that a plain file copy is a consistent chain.
pub(super) async fn template(root: &Path) -> Result<PathBuf, ShopError> {
    let dir = root.join("template");
    let hq = HqProcess::start(&dir, None).await?;
    hq.import_catalog(catalog_csv(ARTICLES)).await?;
    let config = ShopConfig::default();
    for code in SHOPS {
        let token = hq.add_shop(code).await?;
        let d = dir.join(code);
        Shop::init(&d, code, code, ADMIN, PASSWORD)?;
        let shop = Shop::open(&d, config.clone())?;
        shop.store
            .write(|tx| {
                for r in REGISTERS {
                    comptoir_shop::staff::create_register(
                        tx,
                        comptoir_shop::staff::NewRegister { code: r.into(), name: format!("Caisse {r}") },
                    )?;
                }
                comptoir_shop::staff::create_user(
                    tx,
                    comptoir_shop::staff::NewUser {
                        code: "C1".into(),
                        name: "Caissier".into(),
                        role: comptoir_core::catalog::Role::Cashier,
                        pin: Some("1234".into()),
                        password: None,
                    },
                )
                .map(|_| ())
            })
            .await?;
        drop(shop);
        let (shop, _) = comptoir_shop::sync::enrol::enroll(&d, &hq.origin, &token, None, config.clone()).await?;
        let agent = SyncAgent::for_shop(&shop).await?;
        agent.take_snapshot(&|_, _| {}).await?;
        // The shop's customer (card CODE-000001), sent to HQ in the first round.
        let name = format!("Client {code}");
        shop.store
            .write(move |tx| {
                comptoir_shop::customers::create_customer(
                    tx,
                    comptoir_shop::customers::NewCustomer { name, email: None, phone: None, group: None },
                    true,
                )
                .map(|_| ())
            })
            .await?;
    }
    drop(hq);
    tokio::time::sleep(Duration::from_millis(200)).await;
    for db in sqlite_files(&dir)? {
        let c = rusqlite::Connection::open(&db)?;
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(dir)
}

pub(super) fn sqlite_files(dir: &Path) -> Result<Vec<PathBuf>, ShopError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            out.extend(sqlite_files(&p)?);
        } else if p.extension().is_some_and(|x| x == "sqlite" || x == "db") {
            out.push(p);
        }
    }
    Ok(out)
}

pub(super) fn copy_dir(from: &Path, to: &Path) -> Result<(), ShopError> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let (p, t) = (e.path(), to.join(e.file_name()));
        if p.is_dir() {
            if e.file_name() != "logs" {
                copy_dir(&p, &t)?;
            }
        } else if !p.to_string_lossy().ends_with("-shm") {
            std::fs::copy(&p, &t)?;
        }
    }
    Ok(())
}

pub(super) fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { dir_size(&p) } else { e.metadata().map(|m| m.len()).unwrap_or(0) }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// A small tmpfs at `dir`, so that the disk can really fill up.
pub(super) fn mount_tmpfs(dir: &Path, bytes: u64) -> Result<(), ShopError> {
    std::fs::create_dir_all(dir)?;
    let out = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={}k", bytes.div_ceil(1024)), "comptoir-chaos"])
        .arg(dir)
        .output()?;
    if !out.status.success() {
        return Err(harness(format!(
            "the disk-full fault mounts a small tmpfs and needs root: mount said {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

pub(super) fn unmount(dir: &Path) {
    let _ = std::process::Command::new("umount").arg("-l").arg(dir).status();
}

/// Writes a filler file until the disk is full.
pub(super) fn fill(dir: &Path) -> Result<(), ShopError> {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("filler"))?;
    let block = vec![0xA5u8; 64 * 1024];
    loop {
        match f.write(&block) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => return Err(e.into()),
        }
    }
    // The last bytes of a partial block.
    for _ in 0..64 {
        if f.write(&block[..1024]).is_err() {
            break;
        }
    }
    let _ = f.sync_all();
    Ok(())
}
