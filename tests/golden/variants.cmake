# Every golden request re-written as legacy stacks write it (prefixes,
# default namespaces, qualified header children, xsi:type everywhere) gets
# the answer the document gets (issue 8).
mk_add_golden_script(test_golden_variants test_golden_variants.py)
