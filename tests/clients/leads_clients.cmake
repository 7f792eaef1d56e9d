# The five lead operations through real client stacks.
mk_add_client_test(client_zeep_leads zeep_leads.py)
mk_add_client_test(client_php_leads php_leads.php)
