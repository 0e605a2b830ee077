/* Fault guard for JIT-compiled UDF kernels (see guard.rs for the Rust side and why the
 * jump is sound). Rust cannot call sigsetjmp safely (it "returns twice"), so the one frame
 * that does lives here, in C.
 *
 * A fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) raised by the CPU while this thread is
 * inside udf_guarded_call jumps back to it and the call reports the signal; any other
 * occurrence of these signals goes to the handler that was installed before ours. */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_STACK
#define MAP_STACK 0
#endif

typedef int64_t (*kernel_fn)(int64_t, const void *const *, void *, const void *, uint32_t *);

static const int GUARDED_SIGNALS[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
#define N_GUARDED (sizeof GUARDED_SIGNALS / sizeof GUARDED_SIGNALS[0])

/* Written once by install() before our handler is in place, read-only afterwards. */
static struct sigaction previous[N_GUARDED];
static int install_error;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static pthread_key_t altstack_key;

/* Set only while this thread runs a kernel. `volatile`: the handler reads it
 * asynchronously, so the stores around the call must really happen. The guarded call
 * writes it before the kernel runs, so a lazily allocated TLS block (a dlopen'ed library)
 * already exists when the handler reads it. */
static __thread sigjmp_buf *volatile current_jump;
/* Whether this thread is known to have an alternate signal stack (its own, or one
 * ensure_altstack mapped). */
static __thread int altstack_checked;

/* Big enough for our handler and for a chained handler (Rust's prints a message). */
#define ALTSTACK_SIZE (64 * 1024)

static void chain(int sig, siginfo_t *info, void *ctx) {
    for (size_t i = 0; i < N_GUARDED; i++) {
        if (GUARDED_SIGNALS[i] != sig)
            continue;
        const struct sigaction *prev = &previous[i];
        if (prev->sa_flags & SA_SIGINFO) {
            prev->sa_sigaction(sig, info, ctx);
        } else if (prev->sa_handler == SIG_IGN) {
            /* As before we were installed. */
        } else if (prev->sa_handler == SIG_DFL) {
            /* Put the default action back and raise the signal again: it stays pending
             * (blocked while this handler runs) and kills the process with the original
             * signal as soon as we return, whether it came from an instruction or was
             * sent. */
            sigaction(sig, prev, NULL);
            raise(sig);
        } else {
            prev->sa_handler(sig);
        }
        return;
    }
}

static void handler(int sig, siginfo_t *info, void *ctx) {
    sigjmp_buf *jump = current_jump;
    /* si_code > 0: raised by the kernel for an instruction of this thread (a fault or a
     * trap), not sent with kill/tgkill/sigqueue (si_code <= 0), which is never the UDF's. */
    if (jump != NULL && info != NULL && info->si_code > 0) {
        current_jump = NULL;
        siglongjmp(*jump, sig);
    }
    chain(sig, info, ctx);
}

static void free_altstack(void *mapping) {
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && ss.ss_sp == mapping) {
        stack_t off;
        memset(&off, 0, sizeof off);
        off.ss_flags = SS_DISABLE;
        sigaltstack(&off, NULL);
    }
    munmap(mapping, ALTSTACK_SIZE);
    altstack_checked = 0;
}

static void install(void) {
    install_error = pthread_key_create(&altstack_key, free_altstack);
    if (install_error != 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    /* No SA_NODEFER: a fault inside the handler itself must not recurse. The guarded call
     * does not save the signal mask (sigsetjmp(buf, 0): no syscall per call); after a jump
     * out of the handler it unblocks the one signal the kernel blocked for delivery, which
     * restores the mask exactly (sa_mask is empty). SA_ONSTACK: a stack overflow has no
     * stack left to run the handler on. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_GUARDED; i++) {
        if (sigaction(GUARDED_SIGNALS[i], &sa, &previous[i]) != 0) {
            install_error = errno;
            return;
        }
    }
}

/* Installs the process-wide handler once; later calls return the first call's result.
 * 0 on success, else an errno value. */
int udf_guard_install(void) {
    pthread_once(&install_once, install);
    return install_error;
}

/* Gives this thread an alternate signal stack unless it has one (Rust's std gives its
 * threads one; threads created elsewhere may have none). 0 or an errno value. */
static int ensure_altstack(void) {
    if (altstack_checked)
        return 0;
    stack_t ss;
    if (sigaltstack(NULL, &ss) != 0)
        return errno;
    if (!(ss.ss_flags & SS_DISABLE)) {
        altstack_checked = 1;
        return 0;
    }
    void *mapping = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (mapping == MAP_FAILED)
        return errno;
    stack_t on;
    memset(&on, 0, sizeof on);
    on.ss_sp = mapping;
    on.ss_size = ALTSTACK_SIZE;
    if (sigaltstack(&on, NULL) != 0) {
        int e = errno;
        munmap(mapping, ALTSTACK_SIZE);
        return e;
    }
    /* Freed (and switched off) when the thread exits. */
    int e = pthread_setspecific(altstack_key, mapping);
    if (e != 0) {
        stack_t off;
        memset(&off, 0, sizeof off);
        off.ss_flags = SS_DISABLE;
        sigaltstack(&off, NULL);
        munmap(mapping, ALTSTACK_SIZE);
        return e;
    }
    altstack_checked = 1;
    return 0;
}

/* Calls f(n, args, out, valid, interrupt) and returns its result with *signal_out = 0.
 * When f faults, returns INT64_MIN with *signal_out = the signal number; when no
 * alternate signal stack could be set up, returns INT64_MIN with *signal_out = -errno
 * (f did not run). udf_guard_install() must have succeeded. */
int64_t udf_guarded_call(kernel_fn f, int64_t n, const void *const *args, void *out,
                         const void *valid, uint32_t *interrupt, int *signal_out) {
    int e = ensure_altstack();
    if (e != 0) {
        *signal_out = -e;
        return INT64_MIN;
    }
    sigjmp_buf buf;
    /* Kernels do not call kernels, but keep an outer guard intact all the same. */
    sigjmp_buf *volatile outer = current_jump;
    int sig = sigsetjmp(buf, 0);
    if (sig != 0) {
        current_jump = outer;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        *signal_out = sig;
        return INT64_MIN;
    }
    current_jump = &buf;
    int64_t r = f(n, args, out, valid, interrupt);
    current_jump = outer;
    *signal_out = 0;
    return r;
}

/* The name of a signal udf_guarded_call reports ("SIGSEGV"), or NULL for another. */
const char *udf_guard_signal_name(int sig) {
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV";
    case SIGBUS:
        return "SIGBUS";
    case SIGFPE:
        return "SIGFPE";
    case SIGILL:
        return "SIGILL";
    case SIGTRAP:
        return "SIGTRAP";
    default:
        return NULL;
    }
}
