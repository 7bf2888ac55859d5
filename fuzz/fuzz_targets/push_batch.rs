//! HQ's side of a push: any bytes as the body of `POST /api/v1/sync/push` are read as the
//! server reads them (`{"records": [raw JSON...]}`) and sorted by `prepare_push_raw`
//! into inserts and quarantines, never a panic. A record HQ inserts hashes to its hash.
#![no_main]

use comptoir_hq::storage::PushAction;
use comptoir_hq::sync::prepare_push_raw;
use comptoir_protocol::Record;
use libfuzzer_sys::fuzz_target;

#[derive(serde::Deserialize)]
struct RawBatch {
    records: Vec<Box<serde_json::value::RawValue>>,
}

fuzz_target!(|data: &[u8]| {
    let Ok(batch) = serde_json::from_slice::<RawBatch>(data) else { return };
    let Ok(items) = prepare_push_raw("LYON1", batch.records) else { return };
    for item in items {
        if let PushAction::Insert(record) = item.action {
            match *record {
                Record::Ticket(t) => {
                    assert_eq!(t.shop, "LYON1", "a ticket of another shop was accepted");
                    assert_eq!(comptoir_core::chain::ticket_hash(&t), t.hash);
                }
                Record::Closure(c) => {
                    assert_eq!(c.shop, "LYON1", "a closure of another shop was accepted");
                    assert_eq!(comptoir_core::chain::closure_hash(&c), c.hash);
                }
            }
        }
    }
});
