/*
 * explain.c — the shim's own account of what a SOAP operation becomes in
 * REST, printed from the operation table (mapping/operations.json), the
 * same data that dispatches requests and generates MIGRATION.md's table.
 *
 *   mktows-shim --explain            one line per operation
 *   mktows-shim --explain getLead    REST calls, cost and differences
 */
#include <stdio.h>
#include <string.h>

#include "mapping/mapping.h"
#include "mktows.h"

static void print_calls(FILE *out, const mk_mapping_op *op)
{
    if (op->calls_max < 0)
        fprintf(out, "  REST calls per SOAP call: typically %d, at least %d, no fixed bound",
                op->calls_typical, op->calls_min);
    else if (op->calls_min == op->calls_max)
        fprintf(out, "  REST calls per SOAP call: %d", op->calls_typical);
    else
        fprintf(out, "  REST calls per SOAP call: typically %d (%d to %d)", op->calls_typical,
                op->calls_min, op->calls_max);
    fprintf(out, "%s%s\n", *op->calls_note ? "; " : "", op->calls_note);
}

int mktows_explain(const char *mapping_dir, const char *operation, FILE *out, char *errbuf,
                   size_t errlen)
{
    mk_mapping *m = NULL;
    if (mk_mapping_load(mapping_dir, &m, errbuf, errlen) != 0)
        return MKTOWS_EINVAL;
    int rc = MKTOWS_OK;
    if (!operation) {
        for (size_t i = 0; i < mk_mapping_op_count(m); i++) {
            const mk_mapping_op *op = mk_mapping_op_at(m, i);
            fprintf(out, "%-22s %-13s %s\n", op->name,
                    op->status == MK_MAPPING_IMPLEMENTED ? "served" : "fault 20019", op->summary);
        }
        goto done;
    }
    const mk_mapping_op *op = mk_mapping_op_by_name(m, operation);
    if (!op) {
        snprintf(errbuf, errlen, "'%s' is not an operation of the mktows WSDL "
                 "(--explain alone lists them)", operation);
        rc = MKTOWS_EINVAL;
        goto done;
    }
    fprintf(out, "%s (%s): %s\n", op->name, op->family,
            op->status == MK_MAPPING_IMPLEMENTED ? "served by this shim"
                                                 : "not served by this shim (fault 20019)");
    fprintf(out, "  %s\n", op->summary);
    fprintf(out, "  REST calls:\n");
    if (op->nrest == 0)
        fprintf(out, "    none: the shim answers by itself\n");
    for (size_t i = 0; i < op->nrest; i++)
        fprintf(out, "    %s %s\n      %s%s%s\n", op->rest[i].method, op->rest[i].path,
                op->rest[i].purpose, op->rest[i].when ? "; when " : "",
                op->rest[i].when ? op->rest[i].when : "");
    print_calls(out, op);
    if (op->ndifferences) {
        fprintf(out, "  Differences from SOAP:\n");
        for (size_t i = 0; i < op->ndifferences; i++)
            fprintf(out, "    - %s\n", op->differences[i]);
    }
done:
    mk_mapping_free(m);
    return rc;
}
