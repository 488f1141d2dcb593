//! What `Futex<B>` and `Deadline` promise about the calls they make to a backend, checked with
//! a custom backend that records them; and the root functions on the default backend.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use portable_futex::{Clock, Deadline, Futex, FutexBackend, Requeued, Timeout, WordChanged};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Call {
    Wait { expect: u32, timeout: Option<Duration> },
    Wake { max_waiters: u32 },
    Requeue { expect: u32, max_wake: u32, max_move: u32 },
}

thread_local! {
    static CALLS: RefCell<Vec<Call>> = const { RefCell::new(Vec::new()) };
    static ANSWER: RefCell<Result<(), Timeout>> = const { RefCell::new(Ok(())) };
}

/// A backend that sleeps nowhere: it records each call and gives the answer set in `ANSWER`.
struct Recording;

impl FutexBackend for Recording {
    fn wait(_futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        CALLS.with(|c| c.borrow_mut().push(Call::Wait { expect, timeout }));
        ANSWER.with(|a| *a.borrow())
    }

    fn wake(_futex: *const AtomicU32, max_waiters: u32) {
        CALLS.with(|c| c.borrow_mut().push(Call::Wake { max_waiters }));
    }

    fn requeue(
        _from: &AtomicU32,
        expect: u32,
        _to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged> {
        CALLS.with(|c| c.borrow_mut().push(Call::Requeue { expect, max_wake, max_move }));
        Ok(Requeued { woken: Some(max_wake), moved: max_move })
    }
}

/// A backend that records its waits and wakes and keeps the provided `requeue`.
struct Plain;

impl FutexBackend for Plain {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        Recording::wait(futex, expect, timeout)
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        Recording::wake(futex, max_waiters)
    }
}

fn calls(f: impl FnOnce()) -> Vec<Call> {
    CALLS.with(|c| c.borrow_mut().clear());
    f();
    CALLS.with(|c| c.borrow_mut().drain(..).collect())
}

fn answer(result: Result<(), Timeout>) {
    ANSWER.with(|a| *a.borrow_mut() = result);
}

type F = Futex<Recording>;

#[test]
fn a_mismatched_value_never_reaches_the_backend() {
    let word = AtomicU32::new(1);
    assert_eq!(calls(|| F::wait(&word, 0)), []);
    assert_eq!(calls(|| assert_eq!(F::timed_wait(&word, 0, Duration::ZERO), Ok(()))), []);
    assert_eq!(calls(|| assert_eq!(F::timed_wait(&word, 0, Duration::MAX), Ok(()))), []);
}

#[test]
fn a_zero_timeout_never_reaches_the_backend() {
    let word = AtomicU32::new(0);
    assert_eq!(calls(|| assert_eq!(F::timed_wait(&word, 0, Duration::ZERO), Err(Timeout))), []);
}

#[test]
fn untimed_waits_pass_none_and_timed_waits_pass_the_timeout_unchanged() {
    let word = AtomicU32::new(5);
    answer(Ok(()));
    assert_eq!(calls(|| F::wait(&word, 5)), [Call::Wait { expect: 5, timeout: None }]);
    for t in [Duration::from_nanos(1), Duration::from_millis(3), Duration::MAX] {
        assert_eq!(
            calls(|| assert_eq!(F::timed_wait(&word, 5, t), Ok(()))),
            [Call::Wait { expect: 5, timeout: Some(t) }]
        );
    }
    answer(Err(Timeout));
    assert_eq!(F::timed_wait(&word, 5, Duration::from_millis(1)), Err(Timeout));
    // A backend that answers Timeout to an untimed wait is only returning spuriously.
    assert_eq!(calls(|| F::wait(&word, 5)), [Call::Wait { expect: 5, timeout: None }]);
    answer(Ok(()));
}

#[test]
fn wake_of_zero_is_a_no_op_and_other_counts_pass_unchanged() {
    let word = AtomicU32::new(0);
    assert_eq!(calls(|| F::wake(&word, 0)), []);
    assert_eq!(calls(|| F::wake_ptr(&word, 0)), []);
    for n in [1, 2, i32::MAX as u32, i32::MAX as u32 + 1, u32::MAX] {
        assert_eq!(calls(|| F::wake(&word, n)), [Call::Wake { max_waiters: n }]);
        assert_eq!(calls(|| F::wake_ptr(std::ptr::null(), n)), [Call::Wake { max_waiters: n }]);
    }
}

/// A clock that moves only when told, for exact `Deadline` checks.
#[derive(Clone)]
struct Manual<'a>(&'a std::cell::Cell<Duration>);

impl Clock for Manual<'_> {
    fn now(&self) -> Duration {
        self.0.get()
    }
}

#[test]
fn deadline_waits_for_what_is_left_on_its_own_clock() {
    let now = std::cell::Cell::new(Duration::from_secs(1000));
    let word = AtomicU32::new(0);
    let mut deadline =
        Deadline::<Recording, _>::with_clock(Some(Duration::from_millis(100)), Manual(&now));
    answer(Ok(()));
    assert_eq!(
        calls(|| assert_eq!(deadline.wait(&word, 0), Ok(()))),
        [Call::Wait { expect: 0, timeout: Some(Duration::from_millis(100)) }]
    );
    now.set(now.get() + Duration::from_millis(30));
    assert_eq!(deadline.remaining(), Some(Duration::from_millis(70)));
    assert_eq!(
        calls(|| assert_eq!(deadline.wait(&word, 0), Ok(()))),
        [Call::Wait { expect: 0, timeout: Some(Duration::from_millis(70)) }]
    );

    // The backend claims a timeout, but the deadline's clock says 70 ms are left: that is a
    // spurious wakeup, not a Timeout.
    answer(Err(Timeout));
    assert_eq!(deadline.wait(&word, 0), Ok(()));
    // Once the clock agrees, the backend's timeout stands.
    now.set(now.get() + Duration::from_millis(70));
    assert_eq!(deadline.wait(&word, 0), Err(Timeout));
    answer(Ok(()));

    // Expired: answered at once, without the backend.
    now.set(now.get() + Duration::from_secs(1));
    assert_eq!(deadline.remaining(), Some(Duration::ZERO));
    assert_eq!(calls(|| assert_eq!(deadline.wait(&word, 0), Err(Timeout))), []);
    assert_eq!(calls(|| assert_eq!(deadline.wait(&word, 1), Ok(()))), []);
}

#[test]
fn deadline_without_a_timeout_waits_untimed_and_a_huge_one_does_not_overflow() {
    let now = std::cell::Cell::new(Duration::MAX - Duration::from_secs(1));
    let word = AtomicU32::new(0);
    let mut never = Deadline::<Recording, _>::with_clock(None, Manual(&now));
    assert_eq!(
        calls(|| assert_eq!(never.wait(&word, 0), Ok(()))),
        [Call::Wait { expect: 0, timeout: None }]
    );
    let mut huge = Deadline::<Recording, _>::with_clock(Some(Duration::MAX), Manual(&now));
    now.set(Duration::MAX);
    assert_eq!(huge.remaining(), Some(Duration::MAX - Duration::from_secs(1)));
    assert_eq!(huge.wait(&word, 0), Ok(()));
}

#[test]
fn timeout_is_an_error() {
    let error: Box<dyn std::error::Error> = Box::new(Timeout);
    assert_eq!(error.to_string(), "futex wait timed out");
    assert_eq!(format!("{Timeout:?}"), "Timeout");
}

/// A backend that has no yield of its own says so, and the locks then go to sleep where they
/// would have yielded: a `true` would have them busy-wait on a holder that, on one core, may
/// never run while they do.
#[test]
fn a_backend_without_yield_now_cannot_yield() {
    assert!(!Recording::yield_now());
    assert!(CALLS.with(|c| c.borrow().is_empty()), "yield_now called into wait or wake");
}

#[test]
fn futex_handles_are_zero_sized() {
    assert_eq!(std::mem::size_of::<Futex<Recording>>(), 0);
}

/// The root functions and `Deadline::new` run on the default backend.
#[test]
fn root_functions_on_the_default_backend() {
    let word = AtomicU32::new(0);
    portable_futex::wait(&word, 1);
    assert_eq!(portable_futex::timed_wait(&word, 0, Duration::from_millis(1)), Err(Timeout));
    portable_futex::wake(&word, 1);
    portable_futex::wake_ptr(&word, u32::MAX);
    <Futex>::wake(&word, 1);

    let word = std::sync::Arc::new(AtomicU32::new(0));
    let waiter = {
        let word = word.clone();
        std::thread::spawn(move || {
            let mut deadline = Deadline::new(Some(Duration::from_secs(60)));
            while word.load(Ordering::Acquire) == 0 {
                deadline.wait(&word, 0).expect("woken long before the deadline");
            }
        })
    };
    std::thread::sleep(Duration::from_millis(5));
    word.store(1, Ordering::Release);
    portable_futex::wake(&word, 1);
    waiter.join().unwrap();
}

/// `requeue` reaches the backend whenever there is something to wake or move between two
/// words, with its arguments unchanged; with nothing to do, or onto its own word, the front
/// end answers (and wakes, for the latter) itself.
#[test]
fn a_requeue_reaches_the_backend_only_with_work_between_two_words() {
    let (a, b) = (AtomicU32::new(0), AtomicU32::new(0));
    let nothing = Requeued { woken: Some(0), moved: 0 };
    assert_eq!(calls(|| assert_eq!(F::requeue(&a, 0, &b, 0, 0), Ok(nothing))), []);
    assert_eq!(calls(|| assert_eq!(F::requeue(&a, 1, &b, 0, 0), Err(WordChanged))), []);
    for (max_wake, max_move) in [(0, 5), (3, 0), (1, u32::MAX), (u32::MAX, u32::MAX)] {
        let done = Requeued { woken: Some(max_wake), moved: max_move };
        assert_eq!(
            calls(|| assert_eq!(F::requeue(&a, 0, &b, max_wake, max_move), Ok(done))),
            [Call::Requeue { expect: 0, max_wake, max_move }]
        );
    }
    // Onto its own word: a wake of `max_wake`, or nothing at all.
    let woken = Requeued::WOKEN_UNCOUNTED;
    assert_eq!(
        calls(|| assert_eq!(F::requeue(&a, 0, &a, 2, 7), Ok(woken))),
        [Call::Wake { max_waiters: 2 }]
    );
    assert_eq!(calls(|| assert_eq!(F::requeue(&a, 0, &a, 0, 7), Ok(nothing))), []);
    assert_eq!(calls(|| assert_eq!(F::requeue(&a, 1, &a, 2, 7), Err(WordChanged))), []);
}

/// The provided `requeue` wakes instead of moving: one wake of everyone asked for (saturated),
/// none when the word changed.
#[test]
fn the_provided_requeue_wakes_instead() {
    let (a, b) = (AtomicU32::new(4), AtomicU32::new(0));
    let woken = Requeued::WOKEN_UNCOUNTED;
    assert_eq!(
        calls(|| assert_eq!(Futex::<Plain>::requeue(&a, 4, &b, 2, 3), Ok(woken))),
        [Call::Wake { max_waiters: 5 }]
    );
    assert_eq!(
        calls(|| assert_eq!(Futex::<Plain>::requeue(&a, 4, &b, u32::MAX, 1), Ok(woken))),
        [Call::Wake { max_waiters: u32::MAX }]
    );
    assert_eq!(
        calls(|| assert_eq!(Futex::<Plain>::requeue(&a, 5, &b, 1, 1), Err(WordChanged))),
        []
    );
    assert_eq!(
        WordChanged.to_string(),
        "futex requeue: the word no longer held the expected value"
    );
    // The backend's own call, with nothing to do: no wake.
    assert_eq!(calls(|| assert_eq!(Plain::requeue(&a, 4, &b, 0, 0), Ok(woken))), []);
}
