//! The cross-shard protocol against a model where any step can crash, any leg can be
//! refused and any hold can lapse: in-memory shards running the real engine, each
//! call of which may be lost before it is applied, or applied with its answer lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use common::model::MemoryLedger;
use ledger::shards::clearing;
use ledger::shards::protocol::{
    derive, resolve, AbortReason, CrossShardTransfer, Decision, Outcome, Side,
};
use ledger::shards::{Shard, ShardFailure, ShardedLedger};
use ledger::{
    Account, AccountFlags, CreateAccountResult, CreateTransferResult, PendingHold, PendingStatus,
    Transfer,
};
use proptest::prelude::*;

const VND: u32 = 704;
const SECOND: u64 = 1_000_000_000;
const TIMEOUT: u32 = 30;
const FUNDS: u64 = 100_000;

/// What becomes of one call to a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Answered,
    /// Never reached the shard: nothing applied.
    LostBefore,
    /// Applied and committed, but the answer never came back.
    LostAfter,
}

/// The shards' shared world: one clock, and what happens to the calls to come.
struct World {
    now: Cell<u64>,
    fates: RefCell<VecDeque<(Fate, bool)>>,
}

impl World {
    /// The fate of the next call, and whether the clock jumps past every hold's
    /// timeout before it.
    fn next(&self) -> Fate {
        let (fate, lapse) = self
            .fates
            .borrow_mut()
            .pop_front()
            .unwrap_or((Fate::Answered, false));
        if lapse {
            self.now
                .set(self.now.get() + u64::from(TIMEOUT + 1) * SECOND);
        }
        self.now.set(self.now.get() + 1_000);
        fate
    }
}

struct MemoryShard {
    ledger: RefCell<MemoryLedger>,
    world: Rc<World>,
}

impl MemoryShard {
    fn call<T>(&self, apply: impl FnOnce(&mut MemoryLedger, u64) -> T) -> Result<T, ShardFailure> {
        match self.world.next() {
            Fate::LostBefore => Err(ShardFailure("connection refused".into())),
            fate => {
                let answer = apply(&mut self.ledger.borrow_mut(), self.world.now.get());
                if fate == Fate::LostAfter {
                    Err(ShardFailure("connection reset after commit".into()))
                } else {
                    Ok(answer)
                }
            }
        }
    }
}

impl Shard for MemoryShard {
    fn create_accounts(&self, batch: &[Account]) -> Result<Vec<CreateAccountResult>, ShardFailure> {
        self.call(|m, _| {
            batch
                .iter()
                .map(|a| match m.set.accounts.entry(a.id) {
                    std::collections::hash_map::Entry::Occupied(_) => CreateAccountResult::Exists,
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(*a);
                        CreateAccountResult::Ok
                    }
                })
                .collect()
        })
    }
    fn create_transfers(
        &self,
        batch: &[Transfer],
    ) -> Result<Vec<CreateTransferResult>, ShardFailure> {
        self.call(|m, now| m.create_transfers(batch, now))
    }
    fn lookup_accounts(&self, ids: &[u128]) -> Result<Vec<Account>, ShardFailure> {
        self.call(|m, _| {
            ids.iter()
                .filter_map(|id| m.set.accounts.get(id).copied())
                .collect()
        })
    }
    fn lookup_holds(&self, ids: &[u128]) -> Result<Vec<PendingHold>, ShardFailure> {
        self.call(|m, _| {
            ids.iter()
                .filter_map(|id| m.set.holds.get(id).copied())
                .collect()
        })
    }
    fn pending_debiting(&self, accounts: &[u128]) -> Result<Vec<Transfer>, ShardFailure> {
        self.call(|m, _| {
            m.journal
                .iter()
                .filter(|t| accounts.contains(&t.debit_account_id))
                .filter(|t| {
                    m.set
                        .holds
                        .get(&t.id)
                        .is_some_and(|h| h.status == PendingStatus::Pending)
                })
                .copied()
                .collect()
        })
    }
    fn expire_lapsed(&self) -> Result<usize, ShardFailure> {
        self.call(|m, now| m.create_transfers(&[], now).len())
    }
}

const SHARDS: u16 = 3;
const WALLETS_PER_SHARD: u128 = 3;

fn wallet(shard: u16, n: u128) -> u128 {
    ledger::shards::map::account_id(shard, 100 + n)
}
fn funding(shard: u16) -> u128 {
    ledger::shards::map::account_id(shard, 1)
}
fn closed(shard: u16) -> u128 {
    ledger::shards::map::account_id(shard, 2)
}

fn cluster(world: &Rc<World>) -> ShardedLedger<MemoryShard> {
    let shards = (0..SHARDS)
        .map(|s| {
            let mut accounts = vec![
                Account::new(funding(s), VND, 1, AccountFlags::NONE),
                Account::new(closed(s), VND, 2, AccountFlags::CLOSED),
            ];
            accounts.extend((0..WALLETS_PER_SHARD).map(|n| {
                Account::new(
                    wallet(s, n),
                    VND,
                    2,
                    AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
                )
            }));
            let mut m = MemoryLedger::with_accounts(&accounts);
            let fund: Vec<Transfer> = (0..WALLETS_PER_SHARD)
                .map(|n| Transfer {
                    id: derive(wallet(s, n), "fund"),
                    debit_account_id: funding(s),
                    credit_account_id: wallet(s, n),
                    amount: FUNDS,
                    ledger: VND,
                    code: 1,
                    ..Transfer::default()
                })
                .collect();
            assert!(m
                .create_transfers(&fund, world.now.get())
                .iter()
                .all(|r| *r == CreateTransferResult::Ok));
            MemoryShard {
                ledger: RefCell::new(m),
                world: world.clone(),
            }
        })
        .collect();
    let ledger = ShardedLedger::new(shards);
    ledger.create_clearing_accounts(VND, 9).unwrap();
    ledger
}

#[derive(Debug, Clone)]
struct Attempt {
    fates: Vec<(Fate, bool)>,
    /// Run a sweep (under the same faults) before retrying.
    sweep_first: bool,
}

#[derive(Debug, Clone)]
struct Payment {
    payer: (u16, u128),
    payee: (u16, u128),
    payee_closed: bool,
    amount: u64,
    attempts: Vec<Attempt>,
}

fn fate() -> impl Strategy<Value = (Fate, bool)> {
    (
        prop_oneof![6 => Just(Fate::Answered), 1 => Just(Fate::LostBefore), 1 => Just(Fate::LostAfter)],
        proptest::bool::weighted(0.08),
    )
}

fn payment() -> impl Strategy<Value = Payment> {
    (
        (0..SHARDS, 0..WALLETS_PER_SHARD),
        (0..SHARDS, 0..WALLETS_PER_SHARD),
        proptest::bool::weighted(0.1),
        1u64..70_000,
        proptest::collection::vec(
            (proptest::collection::vec(fate(), 0..8), any::<bool>())
                .prop_map(|(fates, sweep_first)| Attempt { fates, sweep_first }),
            1..4,
        ),
    )
        .prop_map(|(payer, payee, payee_closed, amount, attempts)| Payment {
            payer,
            payee,
            payee_closed,
            amount,
            attempts,
        })
}

fn hold_status(ledger: &ShardedLedger<MemoryShard>, shard: u16, id: u128) -> Option<PendingStatus> {
    ledger.shards()[usize::from(shard)]
        .ledger
        .borrow()
        .set
        .holds
        .get(&id)
        .map(|h| h.status)
}

fn posted(ledger: &ShardedLedger<MemoryShard>, shard: u16, id: u128) -> bool {
    hold_status(ledger, shard, id) == Some(PendingStatus::Posted)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn money_is_conserved_no_leg_stays_open_and_every_answer_is_the_final_state(
        payments in proptest::collection::vec(payment(), 1..12),
    ) {
        let world = Rc::new(World { now: Cell::new(1_000 * SECOND), fates: RefCell::new(VecDeque::new()) });
        let ledger = cluster(&world);
        let mut answers: Vec<(CrossShardTransfer, Option<Outcome>)> = Vec::new();
        for (n, p) in payments.iter().enumerate() {
            let payee = if p.payee_closed { closed(p.payee.0) } else { wallet(p.payee.0, p.payee.1) };
            let t = CrossShardTransfer {
                id: 1_000 + n as u128,
                payer: Side { shard: p.payer.0, account: wallet(p.payer.0, p.payer.1) },
                payee: Side { shard: p.payee.0, account: payee },
                amount: p.amount,
                ledger: VND,
                code: 3,
                timeout: TIMEOUT,
                user_data_64: 0,
            };
            let mut answer = None;
            for attempt in &p.attempts {
                *world.fates.borrow_mut() = attempt.fates.iter().copied().collect();
                if attempt.sweep_first {
                    ledger.sweep();
                }
                if let Ok(outcome) = ledger.transfer(&t) {
                    answer = Some(outcome);
                    break;
                }
            }
            answers.push((t, answer));
        }

        // Recovery: no more faults, every hold's timeout passes, the sweeper runs twice.
        world.fates.borrow_mut().clear();
        world.now.set(world.now.get() + u64::from(TIMEOUT + 1) * SECOND);
        let first = ledger.sweep();
        let second = ledger.sweep();
        prop_assert!(first.orphans.is_empty() && first.unreachable == 0, "{first:?}");
        prop_assert_eq!(second.posted + second.voided + second.waiting, 0, "a second sweep found work");
        for s in ledger.shards() {
            s.expire_lapsed().unwrap();
        }

        // No clearing leg stays open, anywhere.
        for s in ledger.shards() {
            let m = s.ledger.borrow();
            for h in m.set.holds.values() {
                prop_assert!(h.status != PendingStatus::Pending, "open hold {h:?}");
            }
        }
        // Each shard balances, each clearing pair nets to zero, wallets keep the money.
        let mut wallets: i128 = 0;
        let mut clearing_total: i128 = 0;
        for (n, s) in ledger.shards().iter().enumerate() {
            let m = s.ledger.borrow();
            let (mut debits, mut credits) = (0i128, 0i128);
            for a in m.set.accounts.values() {
                debits += i128::from(a.debits_posted);
                credits += i128::from(a.credits_posted);
                let net = i128::from(a.credits_posted) - i128::from(a.debits_posted);
                if clearing::parse(a.id).is_some() {
                    clearing_total += net;
                } else if a.id != funding(u16::try_from(n).unwrap()) {
                    wallets += net;
                }
            }
            prop_assert_eq!(debits, credits);
        }
        prop_assert_eq!(clearing_total, 0);
        for a in 0..SHARDS {
            for b in 0..SHARDS {
                if a == b { continue; }
                let out = ledger.shards()[usize::from(a)].ledger.borrow().set.accounts[&clearing::outbound(a, b)];
                let inn = ledger.shards()[usize::from(b)].ledger.borrow().set.accounts[&clearing::inbound(b, a)];
                prop_assert_eq!(out.credits_posted - out.debits_posted, inn.debits_posted - inn.credits_posted);
            }
        }
        prop_assert_eq!(wallets, i128::from(FUNDS) * i128::from(SHARDS) * WALLETS_PER_SHARD as i128);

        // Every answer is what the ledgers hold; unanswered ones are all or nothing.
        for (t, answer) in &answers {
            let committed = if t.crosses_shards() {
                let (hold, leg) = (t.payer_hold(), t.payee_leg());
                let (a, b) = (posted(&ledger, t.payer.shard, hold.id), posted(&ledger, t.payee.shard, leg.id));
                prop_assert_eq!(a, b, "legs disagree for {:?}", t);
                a
            } else {
                ledger.shards()[usize::from(t.payer.shard)].ledger.borrow().journal.iter().any(|j| j.id == t.direct().id)
            };
            match answer {
                Some(Outcome::Committed) => prop_assert!(committed, "answered committed: {t:?}"),
                Some(Outcome::Aborted(_)) => prop_assert!(!committed, "answered aborted: {t:?}"),
                None => {}
            }
        }
    }
}

#[test]
fn a_leg_whose_payer_shard_never_decides_waits_then_follows_the_lapse() {
    let world = Rc::new(World {
        now: Cell::new(1_000 * SECOND),
        fates: RefCell::new(VecDeque::new()),
    });
    let ledger = cluster(&world);
    let t = CrossShardTransfer {
        id: 77,
        payer: Side {
            shard: 0,
            account: wallet(0, 0),
        },
        payee: Side {
            shard: 1,
            account: wallet(1, 0),
        },
        amount: 5_000,
        ledger: VND,
        code: 3,
        timeout: TIMEOUT,
        user_data_64: 0,
    };
    // Prepare both legs by hand, as a driver that died before deciding would have.
    let (a, b) = (&ledger.shards()[0], &ledger.shards()[1]);
    assert_eq!(
        a.create_transfers(&[t.payer_hold()]).unwrap(),
        vec![CreateTransferResult::Ok]
    );
    assert_eq!(
        b.create_transfers(&[t.payee_leg()]).unwrap(),
        vec![CreateTransferResult::Ok]
    );
    let waiting = ledger.sweep();
    assert_eq!((waiting.waiting, waiting.posted, waiting.voided), (1, 0, 0));
    // B cannot spend what is not decided: the leg credits only B's pending column.
    let payee = b.ledger.borrow().set.accounts[&wallet(1, 0)];
    assert_eq!(
        (payee.credits_pending, payee.credits_posted),
        (5_000, FUNDS)
    );

    world
        .now
        .set(world.now.get() + u64::from(TIMEOUT + 1) * SECOND);
    let swept = ledger.sweep();
    assert_eq!((swept.waiting, swept.voided), (0, 1));
    // The driver coming back late finds the transfer aborted, and says so.
    assert_eq!(
        ledger.transfer(&t).unwrap(),
        Outcome::Aborted(AbortReason::Refused(
            CreateTransferResult::PendingTransferExpired
        ))
    );
    let payer = a.ledger.borrow().set.accounts[&wallet(0, 0)];
    assert_eq!((payer.debits_pending, payer.debits_posted), (0, 0));
    // A second sweep, or one on another replica, finds nothing left and changes nothing.
    assert_eq!(ledger.sweep().voided, 0);
    assert_eq!(
        b.create_transfers(&[resolve(t.payee_leg().id, Decision::Abort)])
            .unwrap(),
        vec![CreateTransferResult::Exists]
    );
}

#[test]
fn a_payee_shard_that_does_not_answer_aborts_at_once_and_frees_the_payer() {
    let world = Rc::new(World {
        now: Cell::new(1_000 * SECOND),
        fates: RefCell::new(VecDeque::new()),
    });
    let ledger = cluster(&world);
    let t = CrossShardTransfer {
        id: 88,
        payer: Side {
            shard: 0,
            account: wallet(0, 1),
        },
        payee: Side {
            shard: 2,
            account: wallet(2, 1),
        },
        amount: 9_000,
        ledger: VND,
        code: 3,
        timeout: TIMEOUT,
        user_data_64: 0,
    };
    // The hold is placed; the payee's shard is down; the void on a is answered.
    *world.fates.borrow_mut() = [(Fate::Answered, false), (Fate::LostBefore, false)].into();
    assert_eq!(
        ledger.transfer(&t).unwrap(),
        Outcome::Aborted(AbortReason::PayeeShardUnavailable)
    );
    let payer = ledger.shards()[0].ledger.borrow().set.accounts[&wallet(0, 1)];
    assert_eq!((payer.debits_pending, payer.debits_posted), (0, 0));
    // The payee's shard comes back: a retry under the same id says the same, and
    // creates nothing there that stays open.
    assert_eq!(
        ledger.transfer(&t).unwrap(),
        Outcome::Aborted(AbortReason::Refused(
            CreateTransferResult::PendingTransferAlreadyVoided
        ))
    );
    assert_eq!(ledger.sweep().waiting, 0);
    let payee = ledger.shards()[2].ledger.borrow().set.accounts[&wallet(2, 1)];
    assert_eq!((payee.credits_pending, payee.credits_posted), (0, FUNDS));
}
