//! Linked chains: a run of events whose every member but the last carries the
//! `linked` flag succeeds or fails as one, exactly as in TigerBeetle.

/// A batch's state that events are applied to and that can roll back to a savepoint.
pub(crate) trait ChainScope {
    type Event;
    type Outcome: Copy + PartialEq;
    type Savepoint;

    const OK: Self::Outcome;
    const LINKED_EVENT_FAILED: Self::Outcome;
    const LINKED_EVENT_CHAIN_OPEN: Self::Outcome;

    fn is_linked(event: &Self::Event) -> bool;
    fn apply(&mut self, event: &Self::Event, index: usize) -> Self::Outcome;
    fn savepoint(&self) -> Self::Savepoint;
    fn rollback(&mut self, savepoint: Self::Savepoint);
}

/// Applies every event in order and returns one outcome per event.
///
/// When an event of a chain fails, everything the chain did is rolled back: the
/// failing event keeps its own outcome and every other member of the chain gets
/// `linked_event_failed`. A chain left open at the end of the batch fails as a whole,
/// its last event with `linked_event_chain_open`.
pub(crate) fn execute<S: ChainScope>(scope: &mut S, events: &[S::Event]) -> Vec<S::Outcome> {
    let mut outcomes = Vec::with_capacity(events.len());
    let mut chain: Option<(usize, S::Savepoint)> = None;
    let mut chain_broken = false;
    let last = events.len().saturating_sub(1);

    for (index, event) in events.iter().enumerate() {
        let linked = S::is_linked(event);
        if chain.is_none() && linked {
            chain = Some((index, scope.savepoint()));
            chain_broken = false;
        }

        let outcome = if chain_broken {
            S::LINKED_EVENT_FAILED
        } else if linked && index == last {
            S::LINKED_EVENT_CHAIN_OPEN
        } else {
            scope.apply(event, index)
        };

        if outcome != S::OK && !chain_broken {
            if let Some((start, _)) = &chain {
                let start = *start;
                chain_broken = true;
                if let Some((_, savepoint)) = chain.take() {
                    scope.rollback(savepoint);
                }
                // Keep the chain open (without a savepoint) so later members fail too.
                chain = Some((start, scope.savepoint()));
                for earlier in outcomes.iter_mut().skip(start) {
                    *earlier = S::LINKED_EVENT_FAILED;
                }
            }
        }
        outcomes.push(outcome);

        if chain.is_some() && (!linked || outcome == S::LINKED_EVENT_CHAIN_OPEN) {
            chain = None;
            chain_broken = false;
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy scope: events are numbers, a negative number fails, the state is a sum.
    struct Sum {
        total: i64,
    }

    #[derive(Clone, Copy)]
    struct Ev {
        value: i64,
        linked: bool,
    }

    impl ChainScope for Sum {
        type Event = Ev;
        type Outcome = u8;
        type Savepoint = i64;
        const OK: u8 = 0;
        const LINKED_EVENT_FAILED: u8 = 1;
        const LINKED_EVENT_CHAIN_OPEN: u8 = 2;

        fn is_linked(e: &Ev) -> bool {
            e.linked
        }
        fn apply(&mut self, e: &Ev, _: usize) -> u8 {
            if e.value < 0 {
                9
            } else {
                self.total += e.value;
                0
            }
        }
        fn savepoint(&self) -> i64 {
            self.total
        }
        fn rollback(&mut self, sp: i64) {
            self.total = sp;
        }
    }

    fn ev(value: i64, linked: bool) -> Ev {
        Ev { value, linked }
    }

    #[test]
    fn a_failing_member_fails_the_whole_chain_and_nothing_else() {
        let mut s = Sum { total: 0 };
        let out = execute(
            &mut s,
            &[
                ev(1, false),
                ev(10, true),
                ev(-1, true),
                ev(100, false),
                ev(5, false),
            ],
        );
        assert_eq!(out, vec![0, 1, 9, 1, 0]);
        assert_eq!(s.total, 6);
    }

    #[test]
    fn a_chain_left_open_fails_entirely() {
        let mut s = Sum { total: 0 };
        let out = execute(&mut s, &[ev(3, false), ev(10, true), ev(20, true)]);
        assert_eq!(out, vec![0, 1, 2]);
        assert_eq!(s.total, 3);
    }

    #[test]
    fn a_successful_chain_applies_every_member() {
        let mut s = Sum { total: 0 };
        let out = execute(&mut s, &[ev(1, true), ev(2, true), ev(3, false)]);
        assert_eq!(out, vec![0, 0, 0]);
        assert_eq!(s.total, 6);
    }
}
