/*
 * embed.c — the smallest program that embeds libmktows through its public
 * header only, built by the install and package tests against an installed
 * library (find_package(mktows) or pkg-config) to show that what is
 * installed is enough: it loads the configuration named on the command line
 * (plus MKTOWS_* variables), serves SOAP until SIGTERM and prints the usual
 * ready line so the tests can send it a signed request.
 */
#include <signal.h>
#include <stdio.h>

#include <mktows.h>

extern char **environ;

int main(int argc, char **argv)
{
    char err[512];
    mktows_config *cfg = NULL;
    mktows_server *srv = NULL;
    if (argc != 2) {
        fprintf(stderr, "usage: embed CONFIG.json\n");
        return 2;
    }
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, NULL);

    int rc = mktows_config_load(argv[1], environ, &cfg, err, sizeof err);
    if (rc == MKTOWS_OK)
        rc = mktows_server_start(cfg, &srv, err, sizeof err);
    if (rc != MKTOWS_OK) {
        fprintf(stderr, "embed: %s (%s)\n", err, mktows_strerror(rc));
        mktows_config_free(cfg);
        return 1;
    }
    printf("listening on http://%s:%u\n", mktows_server_host(srv), mktows_server_port(srv));
    fflush(stdout);
    int sig;
    sigwait(&term, &sig);
    mktows_server_stop(srv);
    mktows_config_free(cfg);
    return 0;
}
