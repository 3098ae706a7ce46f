/* Unit tests of the command's compiled seccomp filter
 * (gateway/sandbox/seccomp_app.c): the BPF that the kernel would run,
 * executed here on the system calls of each ABI an x86-64 kernel accepts
 * (64-bit, x32, and 32-bit x86, which this test machine cannot exec: its
 * IA-32 emulation is off, so the 32-bit rules are proven on the filter
 * itself). The interpreter below runs the classic-BPF subset seccomp
 * filters are made of, as the kernel's seccomp_check_filter() allows. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/net.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/seccomp_app.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#define X32_BIT 0x40000000u

/* i386 and x86-64 numbers (the kernel's arch/x86/entry/syscalls tables). */
enum { I386_SOCKETCALL = 102, I386_SOCKET = 359, I386_SOCKETPAIR = 360, I386_CONNECT = 362,
       X64_SOCKET = 41, X64_CONNECT = 42, X64_SOCKETPAIR = 53, X64_BPF = 321 };

static uint32_t run(const struct sock_fprog *prog, uint32_t arch, uint32_t nr, uint64_t a0)
{
    struct seccomp_data d;
    memset(&d, 0, sizeof(d));
    d.arch = arch;
    d.nr = (int)nr;
    d.args[0] = a0;
    d.args[1] = SOCK_STREAM;
    uint32_t A = 0, X = 0, mem[BPF_MEMWORDS] = { 0 };
    for (unsigned pc = 0; pc < prog->len; pc++) {
        const struct sock_filter *f = &prog->filter[pc];
        switch (f->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            assert_true(f->k + 4 <= sizeof(d) && f->k % 4 == 0);
            memcpy(&A, (const uint8_t *)&d + f->k, 4);
            break;
        case BPF_LD | BPF_IMM: A = f->k; break;
        case BPF_LDX | BPF_IMM: X = f->k; break;
        case BPF_LD | BPF_MEM: A = mem[f->k]; break;
        case BPF_LDX | BPF_MEM: X = mem[f->k]; break;
        case BPF_ST: mem[f->k] = A; break;
        case BPF_STX: mem[f->k] = X; break;
        case BPF_MISC | BPF_TAX: X = A; break;
        case BPF_MISC | BPF_TXA: A = X; break;
        case BPF_ALU | BPF_AND | BPF_K: A &= f->k; break;
        case BPF_ALU | BPF_OR | BPF_K: A |= f->k; break;
        case BPF_ALU | BPF_AND | BPF_X: A &= X; break;
        case BPF_JMP | BPF_JA: pc += f->k; break;
        case BPF_JMP | BPF_JEQ | BPF_K: pc += A == f->k ? f->jt : f->jf; break;
        case BPF_JMP | BPF_JGT | BPF_K: pc += A > f->k ? f->jt : f->jf; break;
        case BPF_JMP | BPF_JGE | BPF_K: pc += A >= f->k ? f->jt : f->jf; break;
        case BPF_JMP | BPF_JSET | BPF_K: pc += (A & f->k) ? f->jt : f->jf; break;
        case BPF_JMP | BPF_JEQ | BPF_X: pc += A == X ? f->jt : f->jf; break;
        case BPF_JMP | BPF_JGT | BPF_X: pc += A > X ? f->jt : f->jf; break;
        case BPF_JMP | BPF_JGE | BPF_X: pc += A >= X ? f->jt : f->jf; break;
        case BPF_RET | BPF_K: return f->k;
        case BPF_RET | BPF_A: return A;
        default:
            fail_msg("an instruction this interpreter does not know: code 0x%x at %u", f->code, pc);
        }
    }
    fail_msg("the filter ran off its end");
    return 0;
}

static struct sock_fprog compile(const char *mode_or_file, int broker)
{
    struct seccomp_policy p;
    struct sock_fprog prog;
    char err[256];
    assert_int_equal(seccomp_app_prepare(TG_SECCOMP_DEFAULT, mode_or_file, &p, err, sizeof(err)), 0);
    assert_int_equal(seccomp_app_compile(&p, broker, &prog, err, sizeof(err)), 0);
    assert_non_null(prog.filter);
    return prog;
}

#define ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t)(e))

static void test_native_and_x32_families(void **state)
{
    (void)state;
    struct sock_fprog f = compile(NULL, 1);
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_SOCKET, AF_VSOCK), ERRNO(EAFNOSUPPORT));
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_SOCKET, AF_PACKET), ERRNO(EAFNOSUPPORT));
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_SOCKET, AF_INET), SECCOMP_RET_ALLOW);
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_SOCKET, AF_UNIX), SECCOMP_RET_ALLOW);
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_SOCKETPAIR, AF_UNIX), SECCOMP_RET_ALLOW);
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_BPF, 0), ERRNO(ENOSYS));
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_CONNECT, 0), SECCOMP_RET_USER_NOTIF);
    /* x32: the same numbers with bit 30, the same rules. */
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X32_BIT | X64_SOCKET, AF_VSOCK), ERRNO(EAFNOSUPPORT));
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X32_BIT | X64_SOCKET, AF_INET), SECCOMP_RET_ALLOW);
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X32_BIT | X64_CONNECT, 0), SECCOMP_RET_USER_NOTIF);
    free(f.filter);
}

static void test_i386_families(void **state)
{
    (void)state;
    struct sock_fprog f = compile(NULL, 1);
    /* int $0x80 from any program, 64-bit ones included: socket(2) by its
     * own number follows the family rules... */
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKET, AF_VSOCK), ERRNO(EAFNOSUPPORT));
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKET, AF_PACKET), ERRNO(EAFNOSUPPORT));
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKET, AF_UNIX), SECCOMP_RET_ALLOW);
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKETPAIR, AF_UNIX), SECCOMP_RET_ALLOW);
    /* ...and socketcall(SYS_SOCKET), whose family seccomp cannot read, is
     * refused whatever the family; its other calls are not. */
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKETCALL, SYS_SOCKET), ERRNO(EAFNOSUPPORT));
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKETCALL, SYS_SOCKETPAIR), SECCOMP_RET_ALLOW);
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKETCALL, SYS_SENDMSG), SECCOMP_RET_ALLOW);
    /* connect: the broker reads the 64-bit layout only. */
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_CONNECT, 0), ERRNO(EACCES));
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKETCALL, SYS_CONNECT), ERRNO(EACCES));
    free(f.filter);
}

/* The filter of a policy file with text, without the broker. */
static struct sock_fprog compile_text(const char *text)
{
    char path[] = "/tmp/torgate-test-policy-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct seccomp_policy p;
    struct sock_fprog f;
    char err[256];
    int rc = seccomp_app_prepare(TG_SECCOMP_FILE, path, &p, err, sizeof(err));
    unlink(path);
    assert_int_equal(rc, 0);
    assert_int_equal(seccomp_app_compile(&p, 0, &f, err, sizeof(err)), 0);
    return f;
}

static void test_i386_each_family_its_action(void **state)
{
    (void)state;
    struct sock_fprog f = compile_text("include default\ndeny socket AF_INET EACCES\n"
                                       "deny socket AF_NETLINK kill\n");
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKET, AF_INET), ERRNO(EACCES));
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKETPAIR, AF_INET), ERRNO(EACCES));
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKET, AF_NETLINK), SECCOMP_RET_KILL_PROCESS);
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKET, AF_VSOCK), ERRNO(EAFNOSUPPORT));
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKET, AF_UNIX), SECCOMP_RET_ALLOW);
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_SOCKET, AF_INET), ERRNO(EACCES));
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_SOCKET, AF_NETLINK), SECCOMP_RET_KILL_PROCESS);
    /* The other i386 calls reach the rest of the filter. */
    assert_int_equal(run(&f, AUDIT_ARCH_I386, 20 /* getpid */, 0), SECCOMP_RET_ALLOW);
    assert_int_equal(run(&f, AUDIT_ARCH_I386, 357 /* bpf */, 0), ERRNO(ENOSYS));
    free(f.filter);
    /* Audit mode: reported, for every ABI. */
    f = compile_text("mode audit\ninclude default\n");
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKET, AF_VSOCK), SECCOMP_RET_USER_NOTIF);
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKETCALL, SYS_SOCKET), SECCOMP_RET_USER_NOTIF);
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_SOCKET, AF_VSOCK), SECCOMP_RET_USER_NOTIF);
    free(f.filter);
}

static void test_without_family_rules_i386_keeps_sockets(void **state)
{
    (void)state;
    /* A policy with no family rule takes no socket from 32-bit programs. */
    struct sock_fprog f = compile_text("deny bpf ENOSYS\n");
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKETCALL, SYS_SOCKET), SECCOMP_RET_ALLOW);
    assert_int_equal(run(&f, AUDIT_ARCH_I386, I386_SOCKET, AF_VSOCK), SECCOMP_RET_ALLOW);
    assert_int_equal(run(&f, AUDIT_ARCH_X86_64, X64_BPF, 0), ERRNO(ENOSYS));
    free(f.filter);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_native_and_x32_families),
        cmocka_unit_test(test_i386_families),
        cmocka_unit_test(test_i386_each_family_its_action),
        cmocka_unit_test(test_without_family_rules_i386_keeps_sockets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
