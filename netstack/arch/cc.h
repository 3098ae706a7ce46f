/* lwIP platform glue for Linux/glibc. */
#ifndef TORGATE_LWIP_ARCH_CC_H
#define TORGATE_LWIP_ARCH_CC_H

#include <stdlib.h>
#include <stdio.h>
#include <errno.h>
#include <stdint.h>
#include <sys/time.h>

#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_ERRNO_INCLUDE <errno.h>
#define LWIP_NO_CTYPE_H 0

/* An lwIP assertion is an internal invariant broken: stop loudly rather than
 * run on with a corrupt stack. */
#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { \
        fprintf(stderr, "torgate: internal error in lwIP: %s (%s:%d); please report it\n", \
                (x), __FILE__, __LINE__); \
        abort(); \
    } while (0)

/* TCP initial sequence numbers and ephemeral ports. */
uint32_t netstack_random(void);
#define LWIP_RAND() netstack_random()

#endif
