/* torgate --selftest (selftest.c): a probe run inside a sandbox made with
 * the user's own options, saying what a command there can and cannot
 * reach. */
#ifndef TORGATE_SELFTEST_H
#define TORGATE_SELFTEST_H

/* The probe itself (torgate --selftest-probe, run as the sandbox's
 * command): one line per claim on stdout; 0 when every claim holds. */
int selftest_probe_main(void);

#endif
