/* 32-bit x86 syscall probes for the seccomp tests: a freestanding static
 * i386 program (no libc, so no gcc-multilib is needed; only gcc -m32 and
 * binutils) that makes each call through int $0x80 with the x86 syscall
 * numbers, which the filter must cover as well as the x86-64 ones.
 * Prints one line per probe: "NAME RESULT", RESULT 0 for success or the
 * errno number.
 *
 *   gcc -m32 -nostdlib -static -ffreestanding -fno-pie -no-pie \
 *       -fno-stack-protector -O1 -o probe32 probe32.c
 */

static long sc(long nr, long a, long b, long c, long d, long e)
{
    long r;
    __asm__ volatile("int $0x80"
                     : "=a"(r)
                     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                     : "memory");
    return r;
}

static void out(const char *name, long r)
{
    char buf[64];
    int n = 0;
    while (name[n] != '\0' && n < 40) {
        buf[n] = name[n];
        n++;
    }
    buf[n++] = ' ';
    unsigned long v = r < 0 ? (unsigned long)-r : 0;
    char digits[12];
    int k = 0;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (k > 0)
        buf[n++] = digits[--k];
    buf[n++] = '\n';
    sc(4, 1, (long)buf, n, 0, 0);       /* write(1, ...) */
}

/* A successful call that made an fd: close it, report 0. */
static void fd_probe(const char *name, long r)
{
    if (r >= 0) {
        sc(6, r, 0, 0, 0, 0);           /* close */
        r = 0;
    }
    out(name, r);
}

static void zero(unsigned char *p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = 0;
}

void _start(void)
{
    unsigned char attr[128];
    char uts[6 * 65];

    /* keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create) */
    long r = sc(288, 0, -3, 1, 0, 0);
    out("keyctl", r < 0 ? r : 0);
    /* bpf(BPF_MAP_CREATE, {array, key 4, value 4, 1 entry}) */
    zero(attr, sizeof(attr));
    attr[0] = 2;
    attr[4] = 4;
    attr[8] = 4;
    attr[12] = 1;
    fd_probe("bpf", sc(357, 0, (long)attr, 72, 0, 0));
    /* perf_event_open(software cpu clock, self, any cpu, user space only) */
    zero(attr, sizeof(attr));
    attr[0] = 1;
    attr[4] = 128;
    attr[40] = 1 | (1 << 5) | (1 << 6);
    fd_probe("perf", sc(336, (long)attr, 0, -1, -1, 0));
    /* userfaultfd(UFFD_USER_MODE_ONLY | O_CLOEXEC) */
    fd_probe("userfaultfd", sc(374, 1 | 0x80000, 0, 0, 0, 0));
    /* io_uring_setup(1, zeroed params) */
    zero(attr, sizeof(attr));
    fd_probe("io_uring", sc(425, 1, (long)attr, 0, 0, 0));
    r = sc(122, (long)uts, 0, 0, 0, 0);
    out("uname", r < 0 ? r : 0);
    /* socket(2) itself, and through socketcall(2) as 32-bit glibc does;
     * AF_VSOCK (40) both ways; socketpair(2). */
    fd_probe("inet", sc(359, 2, 1, 0, 0, 0));
    fd_probe("vsock", sc(359, 40, 1, 0, 0, 0));
    long args[3] = { 2, 1, 0 };
    fd_probe("socketcall_inet", sc(102, 1, (long)args, 0, 0, 0));
    args[0] = 40;
    fd_probe("socketcall_vsock", sc(102, 1, (long)args, 0, 0, 0));
    long sv[2] = { -1, -1 };
    r = sc(360, 1, 1, 0, (long)sv, 0);
    if (r == 0) {
        sc(6, sv[0], 0, 0, 0, 0);
        sc(6, sv[1], 0, 0, 0, 0);
    }
    out("socketpair", r);
    /* clone3 with a size the kernel rejects: EINVAL if reached at all. */
    zero(attr, sizeof(attr));
    r = sc(435, (long)attr, 1, 0, 0, 0);
    out("clone3", r < 0 ? r : 0);
    sc(1, 0, 0, 0, 0, 0);               /* exit(0) */
    for (;;)
        ;
}
