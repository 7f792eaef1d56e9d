/*
 * fuzz_config.c — libFuzzer target: the configuration loader
 * (config/config.c).  The input is the configuration file's text; the
 * part after the first 0x01 byte, if any, is read as MKTOWS_* environment
 * lines ("NAME=value" per line), which override the file.  A load must
 * succeed or fail with a message, never crash or leak.  Seeds: the
 * configurations the test stack writes (the golden documents' users).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mktows.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/mktows-fuzz-config-%ld.json", (long)getpid());
    const uint8_t *nul = memchr(data, 1, size);
    size_t flen = nul ? (size_t)(nul - data) : size;
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    fwrite(data, 1, flen, f);
    fclose(f);

    char *env[16] = {0};
    char *envtext = NULL;
    if (nul) {
        size_t n = size - flen - 1;
        envtext = malloc(n + 1);
        if (!envtext)
            return 0;
        memcpy(envtext, nul + 1, n);
        envtext[n] = '\0';
        int k = 0;
        for (char *line = strtok(envtext, "\n"); line && k < 15; line = strtok(NULL, "\n"))
            env[k++] = line;
    }
    mktows_config *cfg = NULL;
    char err[256];
    if (mktows_config_load(path, env, &cfg, err, sizeof err) == 0) {
        mk_config_find_user(cfg, "bigcorp1_461839624B16E06BA2D663");
        mk_config_get(mk_config_json(cfg), "rest.endpoint");
        mktows_config_set_listen(cfg, "127.0.0.1:0", err, sizeof err);
        mktows_config_free(cfg);
    }
    free(envtext);
    return 0;
}
