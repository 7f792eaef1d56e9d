/*
 * faults.c — the Marketo SOAP fault codes and their short texts, the one
 * place they are written.
 *
 * Texts follow what Marketo sent where a fault was captured on the wire
 * (20014, 20103 "Lead not found", 20105 "Unknown lead field", 20110 "Input
 * error": ../shared/reference/soap/soap-api.md, "Faults") and the published
 * error-code list otherwise; where the two differ a client saw the wire.
 * The table is C rather than a row of mapping/errors.json because these are
 * Marketo's facts, not a setting, and every fault needs them — also those
 * raised before any mapping is loaded (the gate, authentication) — while
 * errors.json's REST -> SOAP rows are checked against it when they load.
 */
#include "mapping/mapping.h"

#include <stddef.h>

static const struct {
    int code;
    const char *text;
} fault_table[] = {
    {10001, "Internal Error"},
    {20011, "Internal Error"},
    {20012, "Request Not Understood"},
    {20013, "Access Denied"},
    {20014, "Authentication failed"},
    {20015, "Request Limit Exceeded"},
    {20016, "Request Expired"},
    {20017, "Invalid Request"},
    {20018, "Bad Encoding"},
    {20019, "Unsupported Operation"},
    {20022, "Time range specified in query filter exceeded limit"},
    {20023, "Rate Limit Exceeded"},
    {20024, "Concurrency Limit Exceeded"},
    {20101, "Lead Key Required"},
    {20102, "Lead Key Bad"},
    {20103, "Lead not found"},
    {20104, "Lead Detail Required"},
    {20105, "Unknown lead field"},
    {20106, "Lead Sync Failed"},
    {20107, "Activity Key Bad"},
    {20108, "Lead Owner Not Found"},
    {20109, "Parameter Required"},
    {20110, "Input error"},
    {20111, "List Not Found"},
    {20113, "Campaign Not Found"},
    {20114, "Bad Parameter"},
    {20122, "Bad Stream Position"},
    {20123, "Stream at End"},
};

const char *mk_mapping_fault_text(int soap_code)
{
    for (size_t i = 0; i < sizeof fault_table / sizeof fault_table[0]; i++)
        if (fault_table[i].code == soap_code)
            return fault_table[i].text;
    return NULL;
}
