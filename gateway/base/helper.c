/* Helper processes (helper.h). */
#define _GNU_SOURCE
#include "base/helper.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t helper_fork(int deathsig)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    (void)signal(SIGPIPE, SIG_DFL);
    if (prctl(PR_SET_PDEATHSIG, deathsig) != 0 || getppid() != parent)
        _exit(127);
    (void)setpgid(0, 0);
    return 0;
}

void helper_stop(pid_t *pid, int sig)
{
    if (*pid <= 0)
        return;
    (void)kill(*pid, sig);
    while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
        ;
    *pid = -1;
}

void helper_forget(char *file, char *dir)
{
    if (file[0] != '\0')
        (void)unlink(file);
    if (dir[0] != '\0')
        (void)rmdir(dir);
    file[0] = dir[0] = '\0';
}
