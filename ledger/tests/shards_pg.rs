//! The cross-shard protocol, reports and checkpoints on real PostgreSQL: each shard a
//! ledger of its own (a private schema per shard, as separate clusters would be).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestLedger;
use diesel::RunQueryDsl;
use ledger::hash::chain_hash;
use ledger::shards::checkpoint::CheckpointFault;
use ledger::shards::collection::Collection;
use ledger::shards::map::account_id;
use ledger::shards::protocol::{resolve, AbortReason, CrossShardTransfer, Decision, Outcome, Side};
use ledger::shards::{Shard, ShardedLedger};
use ledger::{Account, AccountFlags, CreateTransferResult as R, PgLedger, Transfer};

const VND: u32 = 704;

fn wallet(shard: u16, n: u128) -> u128 {
    account_id(shard, 100 + n)
}

fn setup(shards: u16) -> (Vec<TestLedger>, ShardedLedger<PgLedger>, TestLedger) {
    let tests: Vec<TestLedger> = (0..shards).map(|_| TestLedger::new()).collect();
    for (s, t) in (0u16..).zip(&tests) {
        let funding = account_id(s, 1);
        let mut accounts = vec![Account::new(funding, VND, 1, AccountFlags::NONE)];
        accounts.extend((0..2).map(|n| {
            Account::new(
                wallet(s, n),
                VND,
                2,
                AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
            )
        }));
        t.ledger.create_accounts(&accounts).unwrap();
        let fund: Vec<Transfer> = (0..2)
            .map(|n| Transfer {
                id: account_id(s, 900 + n),
                debit_account_id: funding,
                credit_account_id: wallet(s, n),
                amount: 100_000,
                ledger: VND,
                code: 1,
                ..Transfer::default()
            })
            .collect();
        assert!(t
            .ledger
            .create_transfers(&fund)
            .unwrap()
            .iter()
            .all(|r| *r == R::Ok));
    }
    let sharded = ShardedLedger::new(tests.iter().map(|t| t.ledger.clone()).collect());
    sharded.create_clearing_accounts(VND, 9).unwrap();
    (tests, sharded, TestLedger::new())
}

fn transfer(id: u128, from: (u16, u128), to: (u16, u128), amount: u64) -> CrossShardTransfer {
    CrossShardTransfer {
        id,
        payer: Side {
            shard: from.0,
            account: wallet(from.0, from.1),
        },
        payee: Side {
            shard: to.0,
            account: wallet(to.0, to.1),
        },
        amount,
        ledger: VND,
        code: 3,
        timeout: 30,
        user_data_64: 0,
    }
}

#[test]
fn transfers_cross_shards_once_and_the_books_say_so() {
    let (_tests, sharded, catalog) = setup(3);
    let t = transfer(1, (0, 0), (2, 1), 40_000);
    assert_eq!(sharded.transfer(&t).unwrap(), Outcome::Committed);
    // A retry under the same id moves nothing more and gives the same answer.
    assert_eq!(sharded.transfer(&t).unwrap(), Outcome::Committed);
    let too_much = transfer(2, (0, 0), (1, 0), 60_001);
    assert_eq!(
        sharded.transfer(&too_much).unwrap(),
        Outcome::Aborted(AbortReason::Refused(R::ExceedsCredits))
    );
    let same_shard = transfer(3, (1, 0), (1, 1), 1_000);
    assert_eq!(sharded.transfer(&same_shard).unwrap(), Outcome::Committed);

    let balance = |s: u16, n: u128| {
        sharded.shards()[usize::from(s)]
            .lookup_accounts(&[wallet(s, n)])
            .unwrap()[0]
            .credit_balance()
    };
    assert_eq!((balance(0, 0), balance(2, 1)), (60_000, 140_000));
    let report = sharded.sweep();
    assert_eq!((report.posted, report.voided, report.waiting), (0, 0, 0));

    let trial = sharded.trial_balance().unwrap();
    assert!(trial.balanced());
    assert_eq!(trial.shards.len(), 3);
    let pairs = sharded.clearing_report().unwrap();
    assert_eq!(pairs.len(), 3);
    assert!(pairs
        .iter()
        .all(|p| p.nets_to_zero() && p.open_holds.is_empty()));
    let p02 = pairs.iter().find(|p| (p.a, p.b) == (0, 2)).unwrap();
    assert_eq!((p02.a_to_b, p02.b_from_a), (40_000, 40_000));

    sharded.checkpoint(&catalog.ledger).unwrap();
    assert_eq!(
        sharded
            .transfer(&transfer(4, (2, 1), (0, 0), 5_000))
            .unwrap(),
        Outcome::Committed
    );
    let second = sharded.checkpoint(&catalog.ledger).unwrap();
    assert_eq!(second.number, 2);
    let verified = sharded.verify(&catalog.ledger).unwrap();
    assert!(verified.ok(), "{verified:?}");
    assert_eq!(verified.checkpoints, 2);
}

#[test]
fn a_payee_leg_left_open_is_swept_from_its_twin_and_sweeps_repeat_harmlessly() {
    let (_tests, sharded, _catalog) = setup(2);
    let t = transfer(7, (0, 1), (1, 0), 10_000);
    let (a, b) = (&sharded.shards()[0], &sharded.shards()[1]);
    // A driver that prepared, decided, and died before the finish.
    assert_eq!(
        Shard::create_transfers(a, &[t.payer_hold()]).unwrap(),
        vec![R::Ok]
    );
    assert_eq!(
        Shard::create_transfers(b, &[t.payee_leg()]).unwrap(),
        vec![R::Ok]
    );
    let decide = resolve(t.payer_hold().id, Decision::Commit);
    assert_eq!(Shard::create_transfers(a, &[decide]).unwrap(), vec![R::Ok]);
    let open = sharded.clearing_report().unwrap();
    assert_eq!(open[0].open_holds.len(), 1);

    // Two replicas sweep at once; exactly one finish is written.
    let (first, second) = std::thread::scope(|s| {
        let one = s.spawn(|| sharded.sweep());
        let two = s.spawn(|| sharded.sweep());
        (one.join().unwrap(), two.join().unwrap())
    });
    // The other may find the leg already resolved, or its finish answers `exists`.
    assert!(
        (1..=2).contains(&(first.posted + second.posted)),
        "{first:?} {second:?}"
    );
    let after = sharded.clearing_report().unwrap();
    assert!(
        after[0].nets_to_zero() && after[0].open_holds.is_empty(),
        "{after:?}"
    );
    let finishes = b
        .lookup_transfers(&[resolve(t.payee_leg().id, Decision::Commit).id])
        .unwrap();
    assert_eq!(finishes.len(), 1);
    assert_eq!(
        b.lookup_accounts(&[wallet(1, 0)]).unwrap()[0].credit_balance(),
        110_000
    );
}

#[test]
fn rewriting_one_shards_history_contradicts_the_checkpoints() {
    let (tests, sharded, catalog) = setup(2);
    let t = transfer(1, (0, 0), (1, 0), 1_000);
    assert_eq!(sharded.transfer(&t).unwrap(), Outcome::Committed);
    sharded.checkpoint(&catalog.ledger).unwrap();
    assert!(sharded.verify(&catalog.ledger).unwrap().ok());

    // Someone with superuser rights rewrites shard 1's last entry (the payee's credit,
    // now 1,000,000) and re-hashes it, so that shard's own chain verifies again...
    let shard = &sharded.shards()[1];
    let finish = resolve(t.payee_leg().id, Decision::Commit).id;
    let mut forged = shard.lookup_transfers(&[finish]).unwrap()[0];
    forged.amount = 1_000_000;
    let head = shard.head().unwrap();
    let previous = shard.hash_at(head.seq - 1).unwrap().unwrap();
    let hash = hex::encode(chain_hash(&previous, &forged));
    let mut conn = tests[1].connection();
    for sql in [
        "SET session_replication_role = replica".to_string(),
        format!("UPDATE ledger_transfers SET amount = 1000000, hash = decode('{hash}', 'hex') WHERE seq = {}", head.seq),
        format!("UPDATE ledger_head SET last_hash = decode('{hash}', 'hex')"),
    ] {
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
    assert!(
        shard.verify().unwrap().ok,
        "the forger re-hashed the shard's own chain"
    );
    // ...but the head the checkpoints on every other shard and in the catalog hold
    // no longer matches its journal.
    let verified = sharded.verify(&catalog.ledger).unwrap();
    assert!(!verified.ok());
    assert!(
        verified
            .faults
            .iter()
            .any(|f| matches!(f, CheckpointFault::HeadMismatch { shard: 1, .. })),
        "{verified:?}"
    );
}

#[test]
fn bills_collect_on_each_shard_and_sweep_to_the_master_once_a_period() {
    let (_tests, sharded, _catalog) = setup(3);
    let master = Side {
        shard: 0,
        account: account_id(0, 50),
    };
    let subs: Vec<Side> = (0..3)
        .map(|s| Side {
            shard: s,
            account: account_id(s, 51),
        })
        .collect();
    for side in subs.iter().chain([&master]) {
        let flags = AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS;
        sharded.shards()[usize::from(side.shard)]
            .create_accounts(&[Account::new(side.account, VND, 5, flags)])
            .unwrap();
    }
    // Each citizen pays a bill on their own shard, into that shard's sub-account.
    for (n, s) in [(0u128, 1u16), (1, 1), (0, 2)] {
        let bill = CrossShardTransfer {
            id: 500 + n * 10 + u128::from(s),
            payer: Side {
                shard: s,
                account: wallet(s, n),
            },
            payee: subs[usize::from(s)],
            amount: 30_000,
            ledger: VND,
            code: 5,
            timeout: 30,
            user_data_64: 0,
        };
        assert!(!bill.crosses_shards());
        assert_eq!(sharded.transfer(&bill).unwrap(), Outcome::Committed);
    }
    let collection = Collection {
        master,
        sub_accounts: subs.clone(),
        ledger: VND,
        code: 5,
    };
    let swept = sharded.sweep_collection(&collection, 1, 30);
    // Shard 0's sub-account is empty: nothing to move there.
    assert_eq!(swept.len(), 2);
    assert!(
        swept.iter().all(|(_, r)| *r == Ok(Outcome::Committed)),
        "{swept:?}"
    );
    let balance = |side: Side| {
        sharded.shards()[usize::from(side.shard)]
            .lookup_accounts(&[side.account])
            .unwrap()[0]
            .credit_balance()
    };
    assert_eq!(balance(master), 90_000);
    assert_eq!(balance(subs[1]) + balance(subs[2]), 0);

    // A bill paid after the sweep, then the same period swept again (another replica):
    // nothing moves twice; the next period takes the new money.
    let late = CrossShardTransfer {
        id: 999,
        payer: Side {
            shard: 2,
            account: wallet(2, 1),
        },
        payee: subs[2],
        amount: 7_000,
        ledger: VND,
        code: 5,
        timeout: 30,
        user_data_64: 0,
    };
    assert_eq!(sharded.transfer(&late).unwrap(), Outcome::Committed);
    let again = sharded.sweep_collection(&collection, 1, 30);
    assert!(
        again
            .iter()
            .all(|(_, r)| !matches!(r, Ok(Outcome::Committed))),
        "{again:?}"
    );
    assert_eq!(balance(master), 90_000);
    sharded.sweep_collection(&collection, 2, 30);
    assert_eq!(balance(master), 97_000);
    assert!(sharded.trial_balance().unwrap().balanced());
    assert!(sharded
        .clearing_report()
        .unwrap()
        .iter()
        .all(|p| p.nets_to_zero() && p.open_holds.is_empty()));
}

#[test]
fn replicas_checkpointing_at_once_keep_one_checkpoint_per_number_everywhere() {
    let (_tests, sharded, catalog) = setup(2);
    assert_eq!(
        sharded
            .transfer(&transfer(1, (0, 0), (1, 0), 1_000))
            .unwrap(),
        Outcome::Committed
    );
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..3 {
                    sharded.checkpoint(&catalog.ledger).unwrap();
                }
            });
        }
    });
    let verified = sharded.verify(&catalog.ledger).unwrap();
    assert!(verified.ok(), "{verified:?}");
    assert!(verified.checkpoints >= 3);
}

#[test]
fn the_catalog_keeps_one_vshard_map_for_every_replica() {
    let catalog = TestLedger::new();
    let first = catalog.ledger.shard_map(4).unwrap();
    assert_eq!(first, ledger::shards::map::ShardMap::uniform(4).unwrap());
    // An operator moves one vshard; every replica reading the catalog now routes it there.
    let mut conn = catalog.connection();
    diesel::sql_query("UPDATE shard_map SET shard = 3 WHERE vshard = 0")
        .execute(&mut conn)
        .unwrap();
    let again = catalog.ledger.shard_map(4).unwrap();
    assert_eq!(again.shard_of(account_id(0, 5)), 3);
    // A replica configured with fewer shards than the map names is refused.
    assert!(catalog.ledger.shard_map(2).is_err());
}
