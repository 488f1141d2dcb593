//! `Shared<Linux>` between two real processes on one `MAP_SHARED` mapping.
//!
//! A test binary of its own with `harness = false`: it forks, and a fork is only safe while
//! the process has one thread (the child gets a copy of this thread alone, and of any lock
//! another thread held), which libtest's runner does not promise. `main` runs the cases one
//! after the other on the main thread and starts no thread of its own.
//!
//! Every wait is watched: the parent's own waits are timed, with a deadline per case, and a
//! child that has not exited in time is killed and the case fails, naming what it waited for.
//! Each case starts from a fresh zero-filled mapping, cast to the primitives' types as they
//! are: all-zero bytes are their initial state.
//!
//! Under Miri (no `fork`) and on other systems the binary reports that it has nothing to run.

#[cfg(all(feature = "linux", target_os = "linux", feature = "sync", not(miri)))]
#[path = "process_shared/liveness.rs"]
mod liveness;

#[cfg(all(feature = "linux", target_os = "linux", feature = "sync", not(miri)))]
mod linux {
    use std::cell::UnsafeCell;
    use std::sync::atomic::{AtomicU32, Ordering::*};
    use std::time::{Duration, Instant};

    use portable_futex::backend::{Linux, Shared};
    use portable_futex::sync::generic::{Condvar, Mutex};
    use portable_futex::sync::lock_api::{RawMutex as _, RawMutexTimed as _};
    use portable_futex::sync::RawMutex;
    use portable_futex::{Futex, Timeout};

    type S = Futex<Shared<Linux>>;
    /// How long a child, or a wait of the parent, may take before the case fails: generous,
    /// for a loaded 2-core machine.
    pub(crate) const LIMIT: Duration = Duration::from_secs(20);

    /// A zero-filled memory mapping shared with children forked after it was made.
    pub(crate) struct Mapping {
        address: *mut libc::c_void,
        len: usize,
    }

    impl Mapping {
        /// An anonymous `MAP_SHARED` mapping of `len` bytes (zero-filled by the kernel).
        pub(crate) fn anonymous(len: usize) -> Self {
            // SAFETY: a fresh mapping at an address of the kernel's choice: nothing aliases it.
            let address = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            assert_ne!(address, libc::MAP_FAILED, "mmap: {}", std::io::Error::last_os_error());
            Mapping { address, len }
        }

        /// A second mapping of the memory file `fd`, at another address.
        fn of_file(fd: libc::c_int, len: usize) -> Self {
            // SAFETY: as above; the file is ours and `len` long.
            let address = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    fd,
                    0,
                )
            };
            assert_ne!(address, libc::MAP_FAILED, "mmap: {}", std::io::Error::last_os_error());
            Mapping { address, len }
        }

        /// The start of the mapping as a `T`.
        ///
        /// # Safety
        ///
        /// `T` fits, and all-zero bytes (or whatever the mapping holds now) are a valid `T`;
        /// `T` is made of atomics and cells, so that every process may touch it through `&T`.
        pub(crate) unsafe fn get<T>(&self) -> &T {
            assert!(std::mem::size_of::<T>() <= self.len);
            // SAFETY: the caller's promise; the mapping is page-aligned and lives as long as
            // `self`.
            unsafe { &*self.address.cast::<T>() }
        }
    }

    impl Drop for Mapping {
        fn drop(&mut self) {
            // SAFETY: our own mapping, no longer borrowed once `self` is dropped.
            unsafe { libc::munmap(self.address, self.len) };
        }
    }

    /// A forked child, killed if it outlives its time.
    pub(crate) struct Child {
        pub(crate) pid: libc::pid_t,
        what: &'static str,
    }

    /// Runs `body` in a child process, which exits with 0 if `body` returns true and with 1
    /// if it returns false or panics. `what` names what the child waits for, for the messages.
    pub(crate) fn fork(what: &'static str, body: impl FnOnce() -> bool) -> Child {
        // SAFETY: this process has a single thread (see the module docs), so the child is a
        // complete copy; the child runs `body` and leaves with `_exit`, running no destructor
        // or exit handler that belongs to the parent.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
        if pid == 0 {
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(false);
            // SAFETY: ends the child at once, as `fork`'s contract asks.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        Child { pid, what }
    }

    impl Child {
        /// Waits for the child to exit (killing it after `LIMIT`) and fails unless it
        /// succeeded.
        pub(crate) fn join(self) {
            let start = Instant::now();
            loop {
                let mut status = 0;
                // SAFETY: our own child; `status` is a valid out-parameter.
                let done = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
                assert!(done >= 0, "waitpid: {}", std::io::Error::last_os_error());
                if done == self.pid {
                    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
                    assert_eq!(code, Some(0), "the child failed ({}): status {status}", self.what);
                    std::mem::forget(self);
                    return;
                }
                if start.elapsed() > LIMIT {
                    panic!("the child hung for {LIMIT:?} waiting for {}: killed", self.what);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }

        /// Whether the child is asleep (state `S` in `/proc`), as a process blocked in a
        /// futex wait is.
        fn is_asleep(&self) -> bool {
            self.state() == "S"
        }

        /// The child's scheduling state as `/proc` shows it: `R` running or runnable, `S`
        /// asleep...
        pub(crate) fn state(&self) -> String {
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap();
            // The state follows the command name, which is in parentheses.
            stat.rsplit(')').next().unwrap().split_whitespace().next().unwrap_or("").to_string()
        }

        /// Waits until the child has been asleep for two looks in a row, 20 ms apart.
        pub(crate) fn wait_until_asleep(&self) {
            let start = Instant::now();
            while !(self.is_asleep() && {
                std::thread::sleep(Duration::from_millis(20));
                self.is_asleep()
            }) {
                assert!(start.elapsed() < LIMIT, "the child never went to sleep ({})", self.what);
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    impl Drop for Child {
        fn drop(&mut self) {
            // Reached when a case fails: the child must not outlive the test.
            // SAFETY: our own child.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                libc::waitpid(self.pid, std::ptr::null_mut(), 0);
            }
        }
    }

    /// The parent's waits: until `word != value`, with a deadline (a lost wake fails the case
    /// instead of hanging it).
    fn parent_wait_while(word: &AtomicU32, value: u32, what: &str) {
        let start = Instant::now();
        while word.load(Acquire) == value {
            let left = LIMIT.checked_sub(start.elapsed());
            let left = left.unwrap_or_else(|| panic!("the parent waited {LIMIT:?} for {what}"));
            let _ = S::timed_wait(word, value, left);
        }
    }

    /// A child blocked in an untimed shared wait is woken by the parent's shared wake.
    pub fn wake_crosses_processes() {
        let map = Mapping::anonymous(4096);
        // SAFETY: an `AtomicU32` fits, and zero is a valid one.
        let word: &AtomicU32 = unsafe { map.get() };
        let child = fork("a wake from the parent", || {
            while word.load(Acquire) == 0 {
                S::wait(word, 0);
            }
            word.load(Acquire) == 1
        });
        child.wait_until_asleep();
        word.store(1, Release);
        S::wake(word, 1);
        child.join();
    }

    /// A private waiter is not woken by a shared wake of the same word: the kernel files the
    /// two scopes under different keys (what `Shared`'s docs say). The word never changes, so
    /// only a wake could end the child's wait early; a shared wake does not.
    pub fn a_private_waiter_misses_a_shared_wake() {
        let map = Mapping::anonymous(4096);
        // SAFETY: as above.
        let word: &AtomicU32 = unsafe { map.get() };
        let child = fork("its own timeout, through a shared wake", || {
            let timeout = Duration::from_millis(500);
            let start = Instant::now();
            let result = Futex::<Linux>::timed_wait(word, 0, timeout);
            result == Err(Timeout) && start.elapsed() >= timeout
        });
        child.wait_until_asleep();
        S::wake(word, u32::MAX);
        child.join();
    }

    /// A token passed back and forth a thousand times through one word, which each process
    /// maps at its own address (two mappings of one memory file).
    pub fn ping_pong() {
        const ROUNDS: u32 = 1000;
        let name = c"portable-futex-ping-pong";
        // SAFETY: a name and flags; the result is checked.
        let fd = unsafe { libc::memfd_create(name.as_ptr(), 0) };
        assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());
        // SAFETY: our own file descriptor.
        assert_eq!(unsafe { libc::ftruncate(fd, 4096) }, 0);
        let map = Mapping::of_file(fd, 4096);
        // SAFETY: as above.
        let word: &AtomicU32 = unsafe { map.get() };
        let child = fork("the parent's moves in a ping-pong", || {
            // The child's own view of the file, at another address than the parent's.
            let view = Mapping::of_file(fd, 4096);
            // SAFETY: as above.
            let word: &AtomicU32 = unsafe { view.get() };
            assert_ne!(view.address, map.address);
            for round in 0..ROUNDS {
                while word.load(Acquire) != 2 * round + 1 {
                    S::wait(word, 2 * round);
                }
                word.store(2 * round + 2, Release);
                S::wake(word, 1);
            }
            true
        });
        for round in 0..ROUNDS {
            word.store(2 * round + 1, Release);
            S::wake(word, 1);
            parent_wait_while(word, 2 * round + 1, "the child's move in a ping-pong");
            assert_eq!(word.load(Acquire), 2 * round + 2);
        }
        child.join();
        // SAFETY: our own file descriptor, closed once.
        unsafe { libc::close(fd) };
    }

    /// The layout a C program could share too: the raw lock beside the data it guards.
    #[repr(C)]
    struct Counter {
        lock: RawMutex<Shared<Linux>>,
        /// Processes at the start line: both start adding together, so that they contend.
        arrived: AtomicU32,
        count: UnsafeCell<u64>,
    }

    /// Both processes add to one counter under a `RawMutex` taken from zeroed memory: the
    /// total is exact.
    pub fn mutex_counter() {
        const EACH: u64 = 50_000;
        let map = Mapping::anonymous(4096);
        // SAFETY: a `Counter` fits, and all-zero bytes are an unlocked mutex and zero counts.
        let counter: &Counter = unsafe { map.get() };
        let add = || {
            counter.arrived.fetch_add(1, AcqRel);
            let start = Instant::now();
            while counter.arrived.load(Acquire) < 2 {
                assert!(start.elapsed() < LIMIT, "the other process never came to the start");
                std::hint::spin_loop();
            }
            for _ in 0..EACH {
                let guard = counter.lock.lock();
                // SAFETY: the lock is held: nobody else touches the count.
                let count = unsafe { *counter.count.get() };
                if count % 16 == 0 {
                    // Let the other process run while we hold the lock: it must block (and be
                    // woken across processes at our unlock), and without the lock it would
                    // lose our update.
                    std::thread::yield_now();
                }
                // SAFETY: as above.
                unsafe { *counter.count.get() = count + 1 };
                // SAFETY: this process took the lock just above.
                unsafe { counter.lock.unlock(guard) };
            }
        };
        let child = fork("the mutex, held by the parent", || {
            add();
            true
        });
        add();
        child.join();
        counter.lock.lock();
        // SAFETY: the lock is held and the child has exited.
        assert_eq!(unsafe { *counter.count.get() }, 2 * EACH);
    }

    /// A lock and a condition variable in shared memory: the parent hands a value to the
    /// child, which answers.
    pub fn condvar_hand_off() {
        #[derive(Clone, Copy)]
        struct State {
            question: u32,
            answer: u32,
        }
        struct Channel {
            state: Mutex<Shared<Linux>, State>,
            changed: Condvar<Shared<Linux>>,
        }
        let map = Mapping::anonymous(4096);
        // SAFETY: a `Channel` fits; all-zero bytes are an unlocked mutex with a zeroed
        // `State` (two integers) and a condition variable nobody waits on.
        let channel: &Channel = unsafe { map.get() };
        let child = fork("a question through the condition variable", || {
            let mut state = channel.state.lock();
            while state.question == 0 {
                channel.changed.wait(&mut state);
            }
            state.answer = state.question + 1;
            channel.changed.notify_all();
            true
        });
        child.wait_until_asleep();
        channel.state.lock().question = 41;
        channel.changed.notify_all();
        let start = Instant::now();
        let mut state = channel.state.lock();
        while state.answer == 0 {
            assert!(start.elapsed() < LIMIT, "the parent waited {LIMIT:?} for the answer");
            channel.changed.wait_for(&mut state, Duration::from_millis(100));
        }
        assert_eq!(state.answer, 42);
        drop(state);
        child.join();
    }

    /// Timed waits across processes: the parent's wait on a word the child owns times out
    /// (at least its time), and so does its timed lock of a mutex the child holds; then the
    /// child's wake and unlock reach it.
    pub fn timeouts_across_processes() {
        #[repr(C)]
        struct Shared2 {
            word: AtomicU32,
            held: AtomicU32,
            lock: RawMutex<Shared<Linux>>,
            release: AtomicU32,
        }
        let map = Mapping::anonymous(4096);
        // SAFETY: fits; all zero is valid (atomics, an unlocked mutex).
        let shared: &Shared2 = unsafe { map.get() };
        let child = fork("the parent's word `release`", || {
            let guard = shared.lock.lock();
            shared.held.store(1, Release);
            S::wake(&shared.held, 1);
            while shared.release.load(Acquire) == 0 {
                S::wait(&shared.release, 0);
            }
            // SAFETY: taken above by this process.
            unsafe { shared.lock.unlock(guard) };
            shared.word.store(1, Release);
            S::wake(&shared.word, 1);
            true
        });
        parent_wait_while(&shared.held, 0, "the child to take the lock");

        let timeout = Duration::from_millis(100);
        let start = Instant::now();
        assert_eq!(S::timed_wait(&shared.word, 0, timeout), Err(Timeout));
        assert!(start.elapsed() >= timeout, "timed out early: {:?}", start.elapsed());

        let start = Instant::now();
        assert!(shared.lock.try_lock_for(timeout).is_none(), "took a lock the child holds");
        assert!(start.elapsed() >= timeout, "gave up early: {:?}", start.elapsed());

        shared.release.store(1, Release);
        S::wake(&shared.release, 1);
        parent_wait_while(&shared.word, 0, "the child's wake after its unlock");
        let guard =
            shared.lock.try_lock_for(LIMIT).expect("the child's unlock did not free the lock");
        // SAFETY: taken just above.
        unsafe { shared.lock.unlock(guard) };
        child.join();
    }

    /// A process that exits holding a lock leaves it held: nothing records the owner (what
    /// `Shared`'s docs say; robust futexes are out of scope).
    pub fn a_dead_owner_leaves_the_lock_held() {
        let map = Mapping::anonymous(4096);
        // SAFETY: fits; all zero is an unlocked mutex.
        let lock: &RawMutex<Shared<Linux>> = unsafe { map.get() };
        fork("nothing: it exits holding the lock", || {
            lock.lock();
            true
        })
        .join();
        assert!(
            lock.try_lock_for(Duration::from_millis(50)).is_none(),
            "a dead owner's lock was freed"
        );
    }
}

fn main() {
    #[cfg(all(feature = "linux", target_os = "linux", feature = "sync", not(miri)))]
    {
        let cases: [(&str, fn()); 15] = [
            ("wake_crosses_processes", linux::wake_crosses_processes),
            ("a_private_waiter_misses_a_shared_wake", linux::a_private_waiter_misses_a_shared_wake),
            ("ping_pong", linux::ping_pong),
            ("mutex_counter", linux::mutex_counter),
            ("condvar_hand_off", linux::condvar_hand_off),
            ("timeouts_across_processes", linux::timeouts_across_processes),
            ("a_dead_owner_leaves_the_lock_held", linux::a_dead_owner_leaves_the_lock_held),
            ("killed_mutex_waiters", liveness::mutex),
            ("killed_rwlock_writer_asleep", liveness::rwlock_writer_asleep),
            ("killed_rwlock_writers", liveness::rwlock_writers),
            ("killed_rwlock_readers", liveness::rwlock_readers),
            ("killed_rwlock_reader_holding_a_share", liveness::rwlock_reader_holding_a_share),
            ("killed_semaphore_waiters", liveness::semaphore),
            ("killed_condvar_waiters", liveness::condvar),
            ("killed_event_and_group_waiters", liveness::event_and_group),
        ];
        let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        let mut ran = 0;
        for (name, case) in cases {
            if filter.as_deref().is_some_and(|f| !name.contains(f)) {
                continue;
            }
            print!("test {name} ... ");
            let start = std::time::Instant::now();
            case();
            println!("ok ({:.0?})", start.elapsed());
            ran += 1;
        }
        println!("process_shared: {ran} passed (two processes on one MAP_SHARED mapping)");
    }
    #[cfg(not(all(feature = "linux", target_os = "linux", feature = "sync", not(miri))))]
    println!("process_shared: nothing to run here (Linux with fork only; not under Miri)");
}
