# The WSDL real client stacks load and the faults they read, from a shim with
# no REST back-end.
mk_add_client_test(client_zeep zeep_wsdl.py TIMEOUT 120 STACK --no-emulator)
mk_add_client_test(client_php_soapclient php_soapclient.php TIMEOUT 120 STACK --no-emulator)
