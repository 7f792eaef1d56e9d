/*
 * fuzz_engine.c — libFuzzer target: the well-formedness gate and the SOAP
 * engine (gSOAP's strict parser, dispatch, the 23 handlers, faults), in
 * process, with a REST endpoint that answers nothing (a closed port).
 *
 * An input holding "Envelope" is served as it is (headers, auth and the
 * engine's own faults); any other input is taken as the Body's content and
 * wrapped in an envelope signed for the configured user, so mutations reach
 * the handlers' parameter checks rather than stopping at authentication.
 * Seeds: the golden request documents (tests/golden/<family>/<op>.request.xml).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mktows.h"
#include "base/request.h"
#include "ops/core/services.h"
#include "soap/auth.h"
#include "soap/engine.h"
#include "server/server.h"

#define USER "bigcorp1_461839624B16E06BA2D663"
#define KEY "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"
#define STAMP "2026-11-28T03:50:53+00:00"

static mktows_config *cfg;
static void *services;
static mk_engine *engine;
static char header[512];

static int setup(void)
{
    char path[] = "/tmp/mktows-fuzz-XXXXXX", err[256], sig[MK_AUTH_SIG_HEX + 1];
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    /* Port 9 on loopback: nothing listens, every REST call fails at once. */
    const char *text = "{\"listen\": \"127.0.0.1:0\", \"rest\": {\"endpoint\": "
                       "\"http://127.0.0.1:9\", \"identity\": \"http://127.0.0.1:9/identity\", "
                       "\"client_id\": \"c\", \"client_secret\": \"s\", \"retry\": {\"max_retries\": 0}}, "
                       "\"soap_users\": {\"" USER "\": {\"encryption_key\": \"" KEY "\"}}}";
    int ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    close(fd);
    ok = ok && mktows_config_load(path, NULL, &cfg, err, sizeof err) == 0;
    unlink(path);
    if (!ok || mk_services_start(cfg, &services, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_engine: %s\n", err);
        return -1;
    }
    engine = mk_engine_new(&mk_ops_engine_hooks);
    if (!engine || mk_auth_signature(KEY, STAMP, USER, sig) != 0)
        return -1;
    snprintf(header, sizeof header,
             "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
             "xmlns:ns1=\"http://www.marketo.com/mktows/\" "
             "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><SOAP-ENV:Header>"
             "<ns1:AuthenticationHeader><mktowsUserId>%s</mktowsUserId><requestSignature>%s"
             "</requestSignature><requestTimestamp>%s</requestTimestamp>"
             "</ns1:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body>",
             USER, sig, STAMP);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready = -2;
    if (ready == -2)
        ready = setup();
    if (ready != 0)
        abort();
    static const char tail[] = "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
    int whole = 0;
    for (size_t i = 0; i + 8 <= size && !whole; i++)
        whole = memcmp(data + i, "Envelope", 8) == 0;
    size_t hl = whole ? 0 : strlen(header), tl = whole ? 0 : sizeof tail - 1;
    char *body = malloc(hl + size + tl + 1);
    if (!body)
        return 0;
    memcpy(body, header, hl);
    memcpy(body + hl, data, size);
    memcpy(body + hl + size, tail, tl);
    body[hl + size + tl] = '\0';

    struct mk_request req;
    memset(&req, 0, sizeof req);
    req.config = cfg;
    req.version = "3_1";
    req.services = services;
    req.received_at = 1795837853;   /* STAMP: inside the timestamp window */
    clock_gettime(CLOCK_MONOTONIC, &req.deadline);
    req.deadline.tv_sec += 2;
    struct mk_engine_result res;
    if (mk_engine_serve(engine, &req, body, hl + size + tl, &res) == 0 &&
        (res.http_status != 200 && res.http_status != 500))
        abort();
    free(body);
    return 0;
}
