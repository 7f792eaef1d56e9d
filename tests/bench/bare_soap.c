/*
 * bare_soap.c — the reference for tests/bench/lean-bench.sh: a bare gSOAP
 * server generated from the project's own WSDL (the build tree's
 * soapServer.c / soapC.c), with gSOAP's own HTTP and keep-alive, one
 * thread per connection, answering getLead with one lead built from the
 * key it was asked for and nothing else: no authentication, no REST.
 * What it costs to parse a getLead envelope and serialise an answer is the
 * floor under the shim's getLead.
 *
 * usage: bare_soap [--attributes N]     prints "listening on http://127.0.0.1:PORT"
 *   N attributes (default 3) are put in the lead, to match the size of
 *   the shim's answer (lean-bench.sh prints both sizes).
 * The other operations are generated stubs (lean-bench.sh writes them)
 * that answer a fault.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "soapH.h"
#include "MktowsApiSoapBinding.nsmap"

static int nattr = 3;

int __ns1__getLead(struct soap *soap, struct ns1__ParamsGetLead *in,
                   struct ns1__SuccessGetLead *out)
{
    soap->header = NULL;  /* as the shim: no SOAP Header in answers */
    const char *email = in && in->leadKey && in->leadKey->keyValue ? in->leadKey->keyValue : "";
    struct ns1__ResultGetLead *r = soap_malloc(soap, sizeof *r);
    struct ns1__ArrayOfLeadRecord *list = soap_malloc(soap, sizeof *list);
    struct ns1__LeadRecord *lead = soap_malloc(soap, sizeof *lead);
    struct ns1__ArrayOfAttribute *attrs = soap_malloc(soap, sizeof *attrs);
    struct ns1__Attribute *a = soap_malloc(soap, (size_t)(nattr ? nattr : 1) * sizeof *a);
    int *id = soap_malloc(soap, sizeof *id);
    if (!r || !list || !lead || !attrs || !a || !id)
        return soap->error = SOAP_EOM;
    memset(lead, 0, sizeof *lead);
    *id = 1000 + (int)(strlen(email) * 7);
    lead->Id = id;
    lead->Email = soap_strdup(soap, email);
    for (int i = 0; i < nattr; i++) {
        char name[32], value[64];
        snprintf(name, sizeof name, "Attribute%d", i);
        snprintf(value, sizeof value, "value %d of %s", i, email);
        a[i].attrName = soap_strdup(soap, name);
        a[i].attrType = soap_strdup(soap, "string");
        a[i].attrValue = soap_strdup(soap, value);
    }
    attrs->__sizeattribute = nattr;
    attrs->attribute = a;
    lead->leadAttributeList = attrs;
    list->__sizeleadRecord = 1;
    list->leadRecord = lead;
    r->count = 1;
    r->leadRecordList = list;
    out->result = r;
    return SOAP_OK;
}

static void *serve(void *arg)
{
    struct soap *soap = arg;
    soap_serve(soap);  /* every request on the kept-alive connection */
    soap_destroy(soap);
    soap_end(soap);
    soap_free(soap);
    return NULL;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--attributes") == 0)
            nattr = atoi(argv[i + 1]);
    /* Buffered output: one send per answer, as the shim makes. */
    struct soap *soap = soap_new1(SOAP_IO_KEEPALIVE | SOAP_IO_BUFFER | SOAP_C_UTFSTRING);
    if (!soap)
        return 1;
    soap_set_namespaces(soap, namespaces);
    soap->bind_flags = SO_REUSEADDR;
    soap->max_keep_alive = 1000000;  /* requests per connection before it is closed */
    if (!soap_valid_socket(soap_bind(soap, "127.0.0.1", 0, 1024))) {
        soap_print_fault(soap, stderr);
        return 1;
    }
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    getsockname(soap->master, (struct sockaddr *)&sa, &len);
    printf("listening on http://127.0.0.1:%u\n", (unsigned)ntohs(sa.sin_port));
    fflush(stdout);
    for (;;) {
        if (!soap_valid_socket(soap_accept(soap)))
            continue;
        /* As MHD does for the shim: no Nagle delay on small answers. */
        int one = 1;
        setsockopt(soap->socket, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct soap *copy = soap_copy(soap);
        pthread_t t;
        if (!copy || pthread_create(&t, NULL, serve, copy) != 0) {
            soap_force_closesock(soap);
            if (copy)
                soap_free(copy);
            continue;
        }
        pthread_detach(t);
    }
}
