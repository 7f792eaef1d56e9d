# The eight MObject and custom object operations through real client stacks.
mk_add_client_test(client_zeep_objects zeep_objects.py)
mk_add_client_test(client_php_objects php_objects.php)
