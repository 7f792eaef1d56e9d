#!/usr/bin/perl
# soaplite_legacy.pl — the legacy-stack scenario (legacy_clients.cmake)
# through Perl's SOAP::Lite, written the way Perl integrations drove
# Marketo's document/literal service: SOAP::Lite's own WSDL reader
# (SOAP::Schema) loads the shim's ?WSDL for each operation's endpoint,
# soapAction, namespace and body element; the request is built with
# SOAP::Data, the AuthenticationHeader with SOAP::Header + SOAP::Data, and
# SOAP::Lite's autotyping is left on (its default: xsi:type on every simple
# value).  Signed as Marketo documents: HMAC-SHA1 hex (Digest::SHA) over
# requestTimestamp + mktowsUserId, the timestamp W3C with its offset.
# Answers are read with SOAP::SOM (valueof), faults with its fault API
# (faultdetail->{serviceException}{code}).
#
# Runs under tests/clients/with_stack.sh (MKTOWS_SHIM_URL).
use strict;
use warnings;

use Digest::SHA qw(hmac_sha1_hex);
use POSIX qw(strftime);
use SOAP::Lite;

my $USER = "bigcorp1_461839624B16E06BA2D663";
my $KEY = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66";
my $EMAIL = 'soaplite.legacy@example.com';
my $WSDL = "$ENV{MKTOWS_SHIM_URL}/soap/mktows/" . ($ENV{MK_CLIENT_WSDL_VERSION} // "2_9") . "?WSDL";

sub check {
    my ($cond, $what) = @_;
    die "check failed: $what\n" unless $cond;
}

# Each operation's endpoint, soapAction, namespace and body element, as
# SOAP::Schema reads them from the WSDL.
my $schema = SOAP::Schema->new(schema_url => $WSDL);
$schema->parse();
my ($service) = values %{$schema->services};
check($service && $service->{getLead}, "no getLead in $WSDL");

sub auth_header {
    my ($key) = @_;
    my $ts = strftime("%Y-%m-%dT%H:%M:%S%z", localtime);
    $ts =~ s/(\d\d)(\d\d)$/$1:$2/;
    return SOAP::Header->name('AuthenticationHeader')->prefix('ns1')->uri('http://www.marketo.com/mktows/')->value(
        \SOAP::Data->value(SOAP::Data->name(mktowsUserId => $USER),
                           SOAP::Data->name(requestSignature => hmac_sha1_hex($ts . $USER, $key)),
                           SOAP::Data->name(requestTimestamp => $ts)));
}

# call(OP, KEY, SOAP::Data...): the SOAP::SOM of the answer.
sub call {
    my ($op, $key, @params) = @_;
    my $m = $service->{$op} or die "no $op in the WSDL\n";
    my $action = $m->{soapaction}->value;
    my $element = $m->{parameters}[0]->attr->{name};
    my $soap = SOAP::Lite->new(proxy => $m->{endpoint}->value);
    $soap->on_action(sub { $action });
    $soap->ns($m->{namespace}, 'ns1');
    $soap->on_fault(sub { $_[1] });   # a fault is an answer: the SOM, not a die
    my $som = $soap->call($element => @params, auth_header($key));
    die "$op: no answer\n" unless ref $som;
    return $som;
}

sub ok_call {
    my $som = call(@_);
    die "$_[0]: fault " . $som->faultstring . " (" . ($som->valueof('//serviceException/message') // '') . ")\n"
        if $som->fault;
    return $som;
}

sub fault_code {
    my $som = call(@_);
    check($som->fault, "$_[0] answered without a fault");
    my $e = $som->faultdetail->{serviceException};
    check($e && $e->{name} eq "mktServiceException", "no serviceException in the fault");
    check(index($som->faultstring, "$e->{code} - ") == 0, $som->faultstring);
    return $e->{code};
}

sub data { SOAP::Data->name(@_) }
sub struct { my $name = shift; SOAP::Data->name($name => \SOAP::Data->value(@_)) }
sub lead_key { struct(leadKey => data(keyType => $_[0]), data(keyValue => $_[1])) }

sub attr_map {   # attrName => attrValue of an attribute list (a SOM hash)
    my $list = $_[0]{attribute};
    return { map { $_->{attrName} => $_->{attrValue} } ref $list eq 'ARRAY' ? @$list : ($list) };
}

sub attrs { attr_map($_[0]{leadAttributeList}) }   # of a lead record

sub list_op {
    my ($op, @ids) = @_;
    return ok_call("listOperation", $KEY, data(listOperation => $op),
                   struct(listKey => data(keyType => 'MKTOLISTNAME'), data(keyValue => 'Webinar Registrants')),
                   struct(listMemberList => map { lead_key(IDNUM => $_) } @ids));
}

sub sync_lead {
    my ($first, $return_lead) = @_;
    my @attrs = ([FirstName => $first], [LastName => 'Legacy'], [Company => 'Autotype Ltd']);
    return ok_call("syncLead", $KEY,
                   struct(leadRecord => data(Email => $EMAIL),
                          struct(leadAttributeList => map { struct(attribute => data(attrName => $_->[0]),
                                                                   data(attrValue => $_->[1])) } @attrs)),
                   data(returnLead => $return_lead));
}

sub run {
    # syncLead: create, with the lead back; update the same lead by email.
    my $som = sync_lead('Soap', 'true');
    my $r = $som->valueof('//result');
    my $id = $r->{leadId};
    check($r->{syncStatus}{status} eq 'CREATED' && $id > 20, "create: $r->{syncStatus}{status} $id");
    check($r->{leadRecord}{Email} eq $EMAIL && $r->{leadRecord}{Id} == $id
          && attrs($r->{leadRecord})->{FirstName} eq 'Soap', "create: lead back");
    $r = sync_lead('Soapy', 'false')->valueof('//result');
    check($r->{syncStatus}{status} eq 'UPDATED' && $r->{leadId} == $id, "update: $r->{syncStatus}{status} $r->{leadId}");
    print "syncLead: created and updated lead $id\n";

    # getLead by email: what was written, and a seeded lead.
    $som = ok_call("getLead", $KEY, lead_key(EMAIL => $EMAIL));
    my @recs = $som->valueof('//leadRecordList/leadRecord');
    check($som->valueof('//result/count') == 1 && @recs == 1 && $recs[0]{Id} == $id, "getLead count/id");
    my $a = attrs($recs[0]);
    check($a->{FirstName} eq 'Soapy' && $a->{LastName} eq 'Legacy' && $a->{Company} eq 'Autotype Ltd',
          "getLead attributes");
    @recs = ok_call("getLead", $KEY, lead_key(EMAIL => 'jdoe@example.com'))->valueof('//leadRecordList/leadRecord');
    $a = attrs($recs[0]);
    check(@recs == 1 && $recs[0]{Id} == 1 && $a->{FirstName} eq 'John' && $a->{LeadScore} == 42, "getLead seeded lead");
    print "getLead: OK\n";

    # getMultipleLeads by keys, the selector typed the usual SOAP::Lite way:
    # ->type('LeadKeySelector') puts the name in SOAP::Lite's own Perl
    # namespace (xsi:type="namesp1:LeadKeySelector"); the name is what counts.
    $som = ok_call("getMultipleLeads", $KEY,
                   data(leadSelector => \SOAP::Data->value(data(keyType => 'IDNUM'),
                                                           struct(keyValues => data(stringItem => 1),
                                                                  data(stringItem => $id))))
                       ->type('LeadKeySelector'),
                   struct(includeAttributes => data(stringItem => 'FirstName')));
    @recs = $som->valueof('//leadRecordList/leadRecord');
    check($som->valueof('//result/returnCount') == 2 && $som->valueof('//result/remainingCount') == 0 && @recs == 2,
          "getMultipleLeads count");
    my %names = map { $_->{Id} => attrs($_)->{FirstName} } @recs;
    check($names{1} eq 'John' && $names{$id} eq 'Soapy', "getMultipleLeads names");
    check(!grep({ ref $_->{leadAttributeList}{attribute} eq 'ARRAY' } @recs), "getMultipleLeads: only FirstName");
    print "getMultipleLeads: OK\n";

    # listOperation: not a member, ADDTOLIST, a member (lead 1 is seeded in).
    my @st = list_op(ISMEMBEROFLIST => $id, 1)->valueof('//statusList/leadStatus');
    check(@st == 2 && $st[0]{status} eq 'false' && $st[1]{status} eq 'true'
          && $st[0]{leadKey}{keyValue} == $id, "ISMEMBEROFLIST before");
    check(list_op(ADDTOLIST => $id)->valueof('//result/success') eq 'true', "ADDTOLIST");
    $som = list_op(ISMEMBEROFLIST => $id);
    @st = $som->valueof('//statusList/leadStatus');
    check($som->valueof('//result/success') eq 'true' && @st == 1 && $st[0]{status} eq 'true', "ISMEMBEROFLIST after");
    print "listOperation: OK\n";

    # getLeadActivity: what the calls above left in the emulator.
    $som = ok_call("getLeadActivity", $KEY, lead_key(IDNUM => $id));
    my @acts = $som->valueof('//activityRecordList/activityRecord');
    my %types = map { $_->{activityType} => 1 } @acts;
    check($som->valueof('//leadActivityList/returnCount') == @acts
          && $som->valueof('//leadActivityList/remainingCount') == 0, "getLeadActivity counts");
    check($types{'New Lead'} && $types{'Change Data Value'} && $types{'Add to List'},
          "getLeadActivity types: " . join(",", sort keys %types));
    check(!grep({ $_->{mktPersonId} != $id } @acts), "getLeadActivity: another lead's record");
    # The update changed FirstName alone; the list is the seed's 3001.
    my %by_type = map { $_->{activityType} => $_ } @acts;
    my $cdv = attr_map($by_type{'Change Data Value'}{activityAttributes});
    check(@acts == 3 && $by_type{'Change Data Value'}{mktgAssetName} eq 'First Name'
          && $cdv->{'Old Value'} eq 'Soap' && $cdv->{'New Value'} eq 'Soapy', "getLeadActivity: Change Data Value");
    check($by_type{'Add to List'}{mktgAssetName} eq 'Webinar Registrants'
          && attr_map($by_type{'Add to List'}{activityAttributes})->{'List ID'} == 3001,
          "getLeadActivity: Add to List names the list");
    print "getLeadActivity: " . scalar(@acts) . " records\n";

    # Faults, through SOAP::SOM's fault API.
    check(fault_code("getLead", $KEY, lead_key(IDNUM => 999999)) == 20103, "not found");
    check(fault_code("getLead", "not-the-key", lead_key(IDNUM => 1)) == 20014, "bad signature");
    print "faults: OK\n";
}

if (eval { run(); 1 }) {
    print "soaplite legacy: OK\n";
    exit 0;
}
print STDERR $@;
print "soaplite legacy: FAILED\n";
exit 1;
