/* lwIP's platform services that come from the OS: the clock its timers run
 * on and the randomness its port numbers start from. In a file of their own
 * so that a test build (tests/fuzz/fuzz_netstack.c) can link its own clock
 * and drive retransmissions and timeouts without waiting for them. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>

#include "lwip/sys.h"

uint32_t netstack_random(void)
{
    return arc4random();
}

u32_t sys_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}
