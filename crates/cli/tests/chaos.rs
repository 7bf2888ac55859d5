//! The chaos suite in CI: a fixed-seed sample of `comptoir bench chaos` (real HQ and shop
//! processes, faults drawn from the seed, every shop reconciled against HQ after each
//! round), and the full disk on its own, step by step.

mod support;

use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use support::*;

/// Rounds 0..5 of seed 7 plan, between them, every fault of the suite (checked below, so
/// that a change of the plan's drawing cannot silently shrink the sample).
const SEED: &str = "7";
const ROUNDS: &str = "5";

#[test]
fn a_fixed_seed_sample_of_chaos_rounds_loses_and_duplicates_nothing() {
    let out = Command::new(BIN)
        .args(["bench", "chaos", "--rounds", ROUNDS, "--seed", SEED])
        .env("LANG", "C")
        .output()
        .expect("run comptoir bench chaos");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "chaos sample failed:\n{stdout}\n{}", text(&out.stderr));
    let rounds: Vec<&str> = stdout.lines().filter(|l| l.starts_with("round ")).collect();
    assert_eq!(rounds.len(), 5, "{stdout}");
    let mut planned = BTreeSet::new();
    for r in &rounds {
        assert!(r.contains("lost 0, duplicated 0"), "{r}");
        assert!(!r.contains("FAILED"), "{r}");
        let faults = r.split('[').nth(1).unwrap_or("").trim_end_matches(']');
        planned.extend(faults.split_whitespace().map(String::from));
    }
    for fault in [
        "cut",
        "stall",
        "slow",
        "duplicate",
        "truncate",
        "kill_shop_mid_push",
        "kill_hq_mid_push",
        "kill_shop_mid_snapshot",
        "kill_hq_mid_snapshot",
        "hq_restart",
        "disk_full",
        "clock_skew",
    ] {
        assert!(planned.contains(fault), "the sample never plans {fault}: {planned:?}\n{stdout}");
    }
    // Each fault planned was also met (a connection, a kill, a fill): the table's two columns.
    let table: Vec<&str> = stdout.lines().skip_while(|l| !l.starts_with("faults planned")).skip(1).take(12).collect();
    for row in table {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols.len(), 3, "{row}");
        let (planned, met): (u64, u64) = (cols[1].parse().unwrap(), cols[2].parse().unwrap());
        assert!(planned == 0 || met > 0, "{} planned in {planned} rounds, never met:\n{stdout}", cols[0]);
    }
}

fn sale(id: &str) -> serde_json::Value {
    json!({"id": id, "register": "R1", "cashier": "C1", "lines": [{"sku": "A1", "qty": 1}],
           "payments": [{"method": "cash", "amount": 1000}]})
}

fn fill(dir: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let block = vec![1u8; 4096];
    while f.write_all(&block).is_ok() {}
}

/// Needs root (a 4 MiB tmpfs is the shop's disk), as CI and the development machines run.
#[tokio::test]
async fn a_shop_whose_disk_fills_refuses_the_sale_keeps_every_ticket_and_sells_again_once_space_returns() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = tmp.path().join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=4m", "comptoir-test"]).arg(&disk).status();
    assert!(mounted.is_ok_and(|s| s.success()), "mount a tmpfs (this test needs root)");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&disk);
    let dir = disk.join("shop");
    init_shop(&dir, "FULL", "Full");
    let d = dir_arg(&dir);
    let shop = Server::start(&["shop", "serve", "--data-dir", &d, "--listen", "127.0.0.1:0"], &[]);
    let api = Api::default();
    for (path, body) in [
        ("articles", json!({"sku": "A1", "name": "Article", "price": 1000, "tax_rate_bp": 2000})),
        ("registers", json!({"code": "R1", "name": "Caisse 1"})),
        ("users", json!({"code": "C1", "name": "Alice", "role": "cashier", "pin": "1234"})),
    ] {
        let (status, b) = api.post(&format!("{}/{path}", shop.base), body).await;
        assert_eq!(status, 201, "{b}");
    }
    let mut committed = Vec::new();
    for _ in 0..5 {
        let id = uuid::Uuid::now_v7().to_string();
        let (status, b) = api.post(&format!("{}/tickets", shop.base), sale(&id)).await;
        assert_eq!(status, 201, "{b}");
        committed.push(id);
    }

    fill(&disk);
    // Until the WAL has to grow, a commit may still fit; past it, every sale is refused.
    let mut refused = None;
    for _ in 0..200 {
        let id = uuid::Uuid::now_v7().to_string();
        let (status, b) = api.post(&format!("{}/tickets", shop.base), sale(&id)).await;
        match status {
            201 => committed.push(id),
            507 => {
                refused = Some(b);
                break;
            }
            _ => panic!("a full disk answered {status}: {b}"),
        }
    }
    let refused = refused.expect("a full disk refuses the sale");
    assert_eq!(refused["kind"], "disk_full", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("disk is full"), "{refused}");

    // A shop started again on the full disk serves (it used to exit after announcing its
    // address, its start-up journal line failing).
    let mut shop = shop;
    shop.restart();
    // Everything committed is there, while the disk is still full.
    let listed = api.all(&format!("{}/tickets", shop.base)).await;
    let ids: BTreeSet<&str> = listed.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, committed.iter().map(String::as_str).collect(), "the tickets committed, no more, no fewer");

    std::fs::remove_file(disk.join("filler")).unwrap();
    let (status, b) = api.post(&format!("{}/tickets", shop.base), sale(&uuid::Uuid::now_v7().to_string())).await;
    assert_eq!(status, 201, "sells again once space returns: {b}");
    let (status, verify) = api.post(&format!("{}/verify", shop.base), json!({})).await;
    assert_eq!(status, 200, "{verify}");
    assert_eq!(verify["intact"], true, "chains verify: {verify}");
}
