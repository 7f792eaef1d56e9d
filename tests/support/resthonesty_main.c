/*
 * resthonesty_main.c — mk_rest_honesty, the REST honesty check
 * (resthonesty.h) as a program, so that every test command — C, Python,
 * PHP, shell, whatever stack it drives the shim from — is judged by the
 * same code:
 *
 *   mk_rest_honesty --table OPERATIONS_JSON run -- COMMAND [ARG...]
 *       runs COMMAND with MKTOWS_USAGE_LOG naming a fresh file, so every
 *       mktows-shim it starts logs its requests there, then checks every
 *       line.  Exit status: COMMAND's when it failed, else 1 when a request
 *       made a call its operation does not list or more than its calls.max
 *       (the log is kept and named), else 0.
 *   mk_rest_honesty --table OPERATIONS_JSON check LOG...
 *       checks usage logs: 0 honest, 1 not, 2 unreadable.
 *
 * A test that writes a usage log of its own (its configuration's
 * usage_log) must unset MKTOWS_USAGE_LOG, which the shim would otherwise
 * write over its file's setting, and check its own log instead.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resthonesty.h"

static volatile sig_atomic_t child;

/* ctest and a developer's ^C stop the test, not just this wrapper. */
static void forward(int sig)
{
    if (child > 0)
        kill((pid_t)child, sig);
}

static int usage(void)
{
    fprintf(stderr, "usage: mk_rest_honesty --table OPERATIONS_JSON run -- COMMAND [ARG...]\n"
                    "       mk_rest_honesty --table OPERATIONS_JSON check LOG...\n");
    return 2;
}

/* Check one log; 0 honest, 1 not, 2 unreadable. */
static int judge(const rh_table *t, const char *log)
{
    static char why[16384];
    int lines = 0;
    int bad = rh_check_usage_log(t, log, why, sizeof why, &lines);
    if (bad < 0) {
        fprintf(stderr, "mk_rest_honesty: cannot read %s\n", log);
        return 2;
    }
    if (bad == 0)
        return 0;
    fprintf(stderr,
            "mk_rest_honesty: %d of %d SOAP requests made REST calls mapping/operations.json "
            "does not allow (usage log %s):\n%s",
            bad, lines, log, why);
    return 1;
}

static int run(const rh_table *t, char **argv)
{
    const char *dir = getenv("TMPDIR");
    char log[4096];
    snprintf(log, sizeof log, "%s/mktows-usage-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(log);
    if (fd < 0) {
        fprintf(stderr, "mk_rest_honesty: cannot create %s: %s\n", log, strerror(errno));
        return 2;
    }
    close(fd);
    if (setenv("MKTOWS_USAGE_LOG", log, 1) != 0) {
        unlink(log);
        return 2;
    }
    struct sigaction sa = {.sa_handler = forward};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    pid_t pid = fork();
    if (pid < 0) {
        unlink(log);
        return 2;
    }
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "mk_rest_honesty: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    child = pid;
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int verdict = judge(t, log);
    if (verdict == 0)
        unlink(log);
    return rc != 0 ? rc : verdict != 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[1], "--table") != 0)
        return usage();
    rh_table *t;
    char err[300];
    if (rh_table_load(argv[2], &t, err, sizeof err) != 0) {
        fprintf(stderr, "mk_rest_honesty: %s\n", err);
        return 2;
    }
    int rc;
    if (strcmp(argv[3], "run") == 0 && argc > 5 && strcmp(argv[4], "--") == 0) {
        rc = run(t, argv + 5);
    } else if (strcmp(argv[3], "check") == 0 && argc > 4) {
        rc = 0;
        for (int i = 4; i < argc; i++) {
            int r = judge(t, argv[i]);
            rc = r > rc ? r : rc;
        }
    } else {
        rc = usage();
    }
    rh_table_free(t);
    return rc;
}
