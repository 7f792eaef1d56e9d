/*
 * test_objbatch.c — mk_obj_batches (src/ops/objects/objects.c): how the records of
 * a syncMObjects / syncCustomObjects / deleteCustomObjects call are grouped
 * into REST write calls.
 *
 *  - the grouping is the one the rules give (checked against a plain
 *    reference implementation of them on random inputs): records of a call
 *    share a group, a key (ignoring case) repeats only in a later call than
 *    its previous use, at most 300 records a call, each record in the first
 *    call that allows it;
 *  - it takes time in proportion to the records: deleteCustomObjects has no
 *    documented limit, and a 16 MB request holds 100,000 key lists, which
 *    the first version (every record compared with every earlier one) took
 *    minutes of CPU over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>

#include "ops/objects/objects.h"

/* The rules, written the obvious way (quadratic). */
static int reference(int n, const char *const *group, const char *const *key, int *batch,
                     int *slot)
{
    int nb = 0;
    int *count = calloc((size_t)n + 1, sizeof *count);
    const char **bgroup = calloc((size_t)n + 1, sizeof *bgroup);
    for (int i = 0; i < n; i++) {
        batch[i] = slot[i] = -1;
        if (!group[i])
            continue;
        int after = -1;
        for (int m = 0; m < i; m++)
            if (batch[m] > after && key[m] && key[i] && strcasecmp(key[m], key[i]) == 0)
                after = batch[m];
        int b = -1;
        for (int j = after + 1; j < nb && b < 0; j++)
            if (strcmp(bgroup[j], group[i]) == 0 && count[j] < MK_OBJ_REST_BATCH_MAX)
                b = j;
        if (b < 0) {
            b = nb++;
            bgroup[b] = group[i];
        }
        batch[i] = b;
        slot[i] = count[b]++;
    }
    free(count);
    free(bgroup);
    return nb;
}

static void test_same_as_the_rules(void **state)
{
    (void)state;
    static const char *const groups[] = {"opp|createOrUpdate|dedupeFields",
                                         "opp|updateOnly|idField", "role|createOnly|dedupeFields",
                                         NULL};
    static const char *const keys[] = {"a", "A", "b", "c", "d", "e", NULL};
    enum { N = 2000 };
    const char **g = malloc(sizeof *g * N), **k = malloc(sizeof *k * N);
    char (*many)[16] = malloc(sizeof *many * N);
    int *b1 = malloc(sizeof *b1 * N), *s1 = malloc(sizeof *s1 * N);
    int *b2 = malloc(sizeof *b2 * N), *s2 = malloc(sizeof *s2 * N);
    srand(7);
    for (int round = 0; round < 40; round++) {
        int n = 1 + rand() % N;
        for (int i = 0; i < n; i++) {
            g[i] = groups[rand() % 4];
            /* Mostly distinct keys, some repeated, some absent. */
            int r = rand() % 10;
            if (r < 7) {
                snprintf(many[i], sizeof many[i], "k%d", rand() % (round % 2 ? 50 : 5000));
                k[i] = many[i];
            } else {
                k[i] = keys[rand() % 7];
            }
        }
        int nb1 = reference(n, g, k, b1, s1);
        int nb2 = mk_obj_batches(n, g, k, b2, s2);
        assert_int_equal(nb1, nb2);
        for (int i = 0; i < n; i++) {
            assert_int_equal(b1[i], b2[i]);
            assert_int_equal(s1[i], s2[i]);
        }
    }
    free(g);
    free(k);
    free(many);
    free(b1);
    free(s1);
    free(b2);
    free(s2);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_linear_in_the_records(void **state)
{
    (void)state;
    enum { N = 100000 };
    const char **g = malloc(sizeof *g * N), **k = malloc(sizeof *k * N);
    char (*keys)[16] = malloc(sizeof *keys * N);
    int *b = malloc(sizeof *b * N), *s = malloc(sizeof *s * N);
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "guid-%d", i);
        g[i] = "delete|dedupeFields";
        k[i] = keys[i];
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int nb = mk_obj_batches(N, g, k, b, s);
    double took = seconds_since(&t0);
    assert_int_equal(nb, (N + MK_OBJ_REST_BATCH_MAX - 1) / MK_OBJ_REST_BATCH_MAX);
    assert_int_equal(b[N - 1], nb - 1);
    assert_int_equal(s[N - 1], (N - 1) % MK_OBJ_REST_BATCH_MAX);
    /* Quadratic: 5e9 key comparisons.  Linear: a few milliseconds, even
     * under the sanitizers. */
    assert_true(took < 2.0);

    /* Every record the same key: one call each, still linear. */
    for (int i = 0; i < N; i++)
        k[i] = "same";
    clock_gettime(CLOCK_MONOTONIC, &t0);
    nb = mk_obj_batches(N, g, k, b, s);
    took = seconds_since(&t0);
    assert_int_equal(nb, N);
    assert_int_equal(b[N - 1], N - 1);
    assert_true(took < 2.0);
    free(g);
    free(k);
    free(keys);
    free(b);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_the_rules),
        cmocka_unit_test(test_linear_in_the_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
