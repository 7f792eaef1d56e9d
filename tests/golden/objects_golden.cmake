# The request examples of describeMObject, listMObjects, getMObjects, syncMObjects,
# deleteMObjects, getCustomObjects, syncCustomObjects and deleteCustomObjects
# (tests/golden/objects/).
mk_add_golden_script(test_golden_objects test_golden_objects.py)
