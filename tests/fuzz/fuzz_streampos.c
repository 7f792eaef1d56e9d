/*
 * fuzz_streampos.c — libFuzzer target: the stream position codec
 * (ops/core/streampos.c).  Every input is decoded as a position a client sent
 * back (forged, cut, for another user: must be refused, never crash); an
 * input that is a JSON object is also encoded as a state and must decode
 * to the same object (round trip), else the target aborts.  Seeds: the
 * stream position states of the golden documents' pagings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ops/core/streampos.h"

#define KEY "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cJSON *state = NULL;
    if (mk_streampos_decode(KEY, text, &state) == MK_STREAMPOS_OK && !cJSON_IsObject(state))
        abort();
    cJSON_Delete(state);

    cJSON *j = cJSON_Parse(text);
    char *pos = NULL;
    if (cJSON_IsObject(j) && mk_streampos_encode(KEY, j, &pos) == MK_STREAMPOS_OK) {
        /* Compared as printed: cJSON_Compare cannot tell objects with
         * repeated member names apart, the codec must keep them as sent. */
        cJSON *back = NULL;
        if (mk_streampos_decode(KEY, pos, &back) != MK_STREAMPOS_OK)
            abort();
        char *a = cJSON_PrintUnformatted(j), *b = cJSON_PrintUnformatted(back);
        if (a && b && strcmp(a, b) != 0)
            abort();
        cJSON_free(a);
        cJSON_free(b);
        cJSON_Delete(back);
        /* Another user's key must not accept it. */
        if (mk_streampos_decode(KEY "0", pos, &back) == MK_STREAMPOS_OK)
            abort();
    }
    free(pos);
    cJSON_Delete(j);
    free(text);
    return 0;
}
