/* `torgate exec NAME [--] CMD [ARG...]` (exec_client.c). */
#ifndef TORGATE_EXEC_CLIENT_H
#define TORGATE_EXEC_CLIENT_H

/* argv[0] is "exec". Returns CMD's exit status, or 1/2/125 for torgate's
 * own failures (said on stderr). */
int exec_client_main(int argc, char **argv);

#endif
