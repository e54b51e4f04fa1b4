/*
 * sandbox-filter [--network] [--check] -- command [args...]
 *
 * The last link of the sandbox's wrapper chain: sets no_new_privs, installs a seccomp filter on
 * itself and executes the test command, which inherits the filter with everything it starts (a
 * filter can be added to, never removed). Inherited file descriptors are left as they are.
 *
 * Refused, with EPERM (never a kill: the test sees an error its runtime reports):
 *  - socket() of every family, and connect/bind/listen/accept (unless --network); socketpair()
 *    stays for AF_UNIX streams, which runtimes use for their own pipes (a datagram pair could be
 *    pointed at a host socket with sendto, so it is refused too);
 *  - System V IPC objects and POSIX message queues;
 *  - ptrace, process_vm_readv/writev, pidfd_getfd, process_madvise, kcmp;
 *  - kernel keyrings (the wrapper's `keyctl session` runs before this);
 *  - namespaces (unshare, setns, clone with CLONE_NEW*), mounts, chroot, pivot_root;
 *  - bpf, perf_event_open, userfaultfd, io_uring (it can open sockets behind the filter's back);
 *  - personality() other than querying or setting PER_LINUX (no ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC);
 *  - every call of another ABI (i386 via int 0x80, x32, arm32): only the native table is checked.
 * clone3 answers ENOSYS instead: its flags sit in memory a filter cannot read, and on ENOSYS the
 * C library falls back to clone, whose flags it can.
 *
 * --check installs the filter and exits 0: the runner's start-up test that this kernel takes it.
 * Exit 125 when the filter cannot be installed, 126/127 when the command cannot be executed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "sandbox-filter knows the system calls of x86_64 and aarch64 only"
#endif

#define ALLOW SECCOMP_RET_ALLOW
#define REFUSE (SECCOMP_RET_ERRNO | EPERM)
#define NO_SUCH_CALL (SECCOMP_RET_ERRNO | ENOSYS)
#define NAMESPACE_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
/* The low 32 bits of a 64-bit argument (both architectures are little-endian). */
#define ARG(n) (offsetof(struct seccomp_data, args) + 8 * (n))

static struct sock_filter program[256];
static unsigned short length;

static void emit(struct sock_filter instruction) {
  if (length == sizeof program / sizeof program[0]) {
    fputs("sandbox-filter: program too long\n", stderr);
    _exit(125);
  }
  program[length++] = instruction;
}

static void load(unsigned offset) { emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset)); }
static void ret(unsigned action) { emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action)); }
/* if (A == k) skip `then` instructions else skip `otherwise`. */
static void jump_eq(unsigned k, unsigned char then, unsigned char otherwise) {
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, then, otherwise));
}

/* A call answered the same whatever its arguments: two instructions. */
static void answer(int nr, unsigned action) {
  jump_eq((unsigned)nr, 0, 1);
  ret(action);
}

static const int refused_always[] = {
  /* System V IPC (shmdt stays: it only detaches) and POSIX message queues */
  SYS_shmget, SYS_shmat, SYS_shmctl, SYS_semget, SYS_semop, SYS_semtimedop, SYS_semctl,
  SYS_msgget, SYS_msgsnd, SYS_msgrcv, SYS_msgctl,
  SYS_mq_open, SYS_mq_unlink, SYS_mq_timedsend, SYS_mq_timedreceive, SYS_mq_notify, SYS_mq_getsetattr,
  /* other processes' memory */
  SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_pidfd_getfd, SYS_process_madvise, SYS_kcmp,
  /* keyrings */
  SYS_add_key, SYS_request_key, SYS_keyctl,
  /* namespaces and mounts */
  SYS_unshare, SYS_setns, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot,
  SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_mount_setattr,
  /* kernel surfaces */
  SYS_bpf, SYS_perf_event_open, SYS_userfaultfd, SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
};

static const int refused_without_network[] = {
  SYS_socket, SYS_connect, SYS_bind, SYS_listen, SYS_accept, SYS_accept4,
};

static void build(int network) {
  load(offsetof(struct seccomp_data, arch));
  jump_eq(NATIVE_ARCH, 1, 0);
  ret(REFUSE);
  load(offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1));
  ret(REFUSE);
#endif
  for (size_t i = 0; i < sizeof refused_always / sizeof refused_always[0]; i++) answer(refused_always[i], REFUSE);
  answer(SYS_clone3, NO_SUCH_CALL);

  /* clone: refused when any namespace flag is set */
  jump_eq(SYS_clone, 0, 4);
  load(ARG(0));
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NAMESPACE_FLAGS, 0, 1));
  ret(REFUSE);
  ret(ALLOW);

  /* personality: query (0xffffffff) or plain PER_LINUX only */
  jump_eq(SYS_personality, 0, 5);
  load(ARG(0));
  jump_eq(0xffffffffu, 2, 0);
  jump_eq(PER_LINUX, 1, 0);
  ret(REFUSE);
  ret(ALLOW);

  if (!network) {
    for (size_t i = 0; i < sizeof refused_without_network / sizeof refused_without_network[0]; i++) answer(refused_without_network[i], REFUSE);
    /* socketpair: AF_UNIX streams and sequenced packets only (the type's low 4 bits; the rest are flags) */
    jump_eq(SYS_socketpair, 0, 8);
    load(ARG(0));
    jump_eq(AF_UNIX, 0, 4);
    load(ARG(1));
    emit((struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf));
    jump_eq(SOCK_STREAM, 2, 0);
    jump_eq(SOCK_SEQPACKET, 1, 0);
    ret(REFUSE);
    ret(ALLOW);
  }
  ret(ALLOW);
}

int main(int argc, char **argv) {
  int network = 0, check = 0, i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--") == 0) { i++; break; }
    if (strcmp(argv[i], "--network") == 0) network = 1;
    else if (strcmp(argv[i], "--check") == 0) check = 1;
    else { fprintf(stderr, "sandbox-filter: unknown option %s\n", argv[i]); return 125; }
  }
  if (!check && i >= argc) { fputs("usage: sandbox-filter [--network] [--check] -- command [args...]\n", stderr); return 125; }

  build(network);
  struct sock_fprog fprog = { .len = length, .filter = program };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0) {
    fprintf(stderr, "sandbox-filter: cannot install the system-call filter: %s\n", strerror(errno));
    return 125;
  }
  if (check) return 0;
  execvp(argv[i], argv + i);
  int failure = errno;
  fprintf(stderr, "sandbox-filter: cannot run %s: %s\n", argv[i], strerror(failure));
  return failure == ENOENT ? 127 : 126;
}
