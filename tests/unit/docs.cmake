# MIGRATION.md's operation table must be what mapping/operations.json says,
# and every operation must have its own section.
find_program(MK_DOCS_PYTHON3 NAMES python3 REQUIRED)
add_test(NAME migration_table
         COMMAND ${MK_DOCS_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/scripts/migration_table.py --check
                 ${PROJECT_SOURCE_DIR}/MIGRATION.md ${PROJECT_SOURCE_DIR}/mapping/operations.json)
set_tests_properties(migration_table PROPERTIES LABELS unit)
