# The legacy client stacks real Marketo SOAP integrations were written with
# (issue 8), each driving the same scenario against the emulator's seed:
# syncLead create and update, getLead by email with attributes,
# getMultipleLeads by keys (LeadKeySelector), listOperation ISMEMBEROFLIST /
# ADDTOLIST / ISMEMBEROFLIST on "Webinar Registrants", getLeadActivity of the
# lead written (New Lead, Change Data Value, Add to List), a not-found fault
# (20103) and a bad signature (20014) read through the stack's fault API.
#   .NET:       Mono's wsdl proxy + mcs          (mono_legacy.cs)
#   Axis 1.4:   WSDL2Java stubs + javac          (AxisLegacy.java)
#   SOAP::Lite: SOAP::Schema + SOAP::Data        (soaplite_legacy.pl)
#   soap4r:     wsdl2ruby classes + driver       (soap4r_legacy.rb)
# The .NET and Axis checks load WSDL 2_9, the Perl and Ruby ones 2_3 (the
# version Marketo's Ruby sample names), so both WSDLs meet real generators.
mk_add_client_test(client_mono_legacy mono_legacy.cs)
mk_add_client_test(client_axis_legacy AxisLegacy.java)
mk_add_client_test(client_soaplite_legacy soaplite_legacy.pl ENV MK_CLIENT_WSDL_VERSION=2_3)
mk_add_client_test(client_soap4r_legacy soap4r_legacy.rb ENV MK_CLIENT_WSDL_VERSION=2_3)
