//! Two processes, one shared mapping, a lock and a condition variable in it.
//!
//! `cargo run --example shared_memory`: the parent maps zero-filled shared memory, forks, and
//! sends five messages to the child through a one-message mailbox guarded by a `Mutex` and a
//! `Condvar`, both on `DefaultSharedBackend` (`Shared<Linux>` on Linux). The child answers
//! each one. Nothing initialises the lock or the condition variable: all-zero bytes are their
//! initial state, so the fresh mapping already holds an unlocked mutex and a condition
//! variable nobody waits on.
//!
//! Both processes run this one program, so they agree on the layout of `Mailbox` (a Rust
//! struct). Two different programs sharing memory should use `#[repr(C)]` structs of the raw
//! types (`RawMutex`, `Condvar`: their size, alignment and zero state are documented).
//!
//! Runs on Linux, Apple systems, FreeBSD and DragonFly (anonymous `MAP_SHARED` memory, which
//! their shared futexes key by the memory); elsewhere it says so and exits.

#[cfg(any(
    target_os = "linux",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
mod demo {
    use std::time::Duration;

    use portable_futex::sync::generic::{Condvar, Mutex};
    use portable_futex::DefaultSharedBackend;

    /// The mailbox: one message at a time, and the answer to it.
    #[derive(Clone, Copy)]
    struct Slot {
        /// The number of the message waiting to be read (0: none).
        message: u32,
        /// The number of the last message the child answered.
        answered: u32,
        /// The child's answer: the message's number squared.
        answer: u64,
    }

    struct Mailbox {
        slot: Mutex<DefaultSharedBackend, Slot>,
        changed: Condvar<DefaultSharedBackend>,
    }

    const MESSAGES: u32 = 5;

    pub fn main() {
        let size = std::mem::size_of::<Mailbox>();
        // SAFETY: a fresh anonymous shared mapping of the kernel's choosing, zero-filled;
        // it is never unmapped while the `'static` reference below is in use (the process
        // ends first).
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANON,
                -1,
                0,
            )
        };
        assert_ne!(address, libc::MAP_FAILED, "mmap: {}", std::io::Error::last_os_error());
        // SAFETY: page-aligned and large enough; all-zero bytes are an unlocked mutex around a
        // zeroed `Slot` (plain integers) and a condition variable nobody waits on.
        let mailbox: &'static Mailbox = unsafe { &*address.cast::<Mailbox>() };

        // SAFETY: this program has one thread here, so the child is a full copy of it.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
        if pid == 0 {
            child(mailbox);
            // SAFETY: the child leaves at once, without running the parent's exit handlers.
            unsafe { libc::_exit(0) }
        }

        for message in 1..=MESSAGES {
            let mut slot = mailbox.slot.lock();
            slot.message = message;
            mailbox.changed.notify_all();
            // Wait for the answer, a second at a time, so that a child that died does not
            // leave us waiting for ever.
            while slot.answered != message {
                if mailbox.changed.wait_for(&mut slot, Duration::from_secs(1)).timed_out() {
                    let mut status = 0;
                    // SAFETY: our own child; WNOHANG never blocks.
                    if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == pid {
                        panic!("the child exited without answering message {message}");
                    }
                }
            }
            println!("parent: message {message} answered with {}", slot.answer);
        }

        let mut status = 0;
        // SAFETY: our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child: {status}");
        println!("parent: {MESSAGES} messages through one shared lock and condition variable");
    }

    /// The child: answer each message, then leave.
    fn child(mailbox: &Mailbox) {
        let mut slot = mailbox.slot.lock();
        for message in 1..=MESSAGES {
            while slot.message != message {
                mailbox.changed.wait(&mut slot);
            }
            slot.answer = u64::from(message) * u64::from(message);
            slot.answered = message;
            println!("child:  read message {message}");
            mailbox.changed.notify_all();
        }
    }
}

fn main() {
    #[cfg(any(
        target_os = "linux",
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly"
    ))]
    demo::main();
    #[cfg(not(any(
        target_os = "linux",
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly"
    )))]
    println!(
        "shared_memory: this example forks and maps anonymous shared memory, on Linux, Apple \
         systems, FreeBSD and DragonFly; this target has no process-shared futex it can show"
    );
}
