#!/bin/sh
# wsdl_client.sh — generate a legacy client's stubs from the shim's ?WSDL and
# run the check against them, the way those stacks' users generated theirs:
# .NET (Mono's wsdl tool, compiled with mcs), Apache Axis 1.4 (WSDL2Java,
# compiled with javac) and soap4r (wsdl2ruby's generator).  It runs under
# with_stack.sh, so the WSDL comes from the shim started for the check.
#
# usage: wsdl_client.sh mono|axis|soap4r SOURCE WORKDIR
#   SOURCE   the check (mono_legacy.cs, AxisLegacy.java, soap4r_legacy.rb)
#   WORKDIR  in the build tree: generated stubs and compiled classes go
#            there, emptied first (never in the source tree)
#
# The WSDL is <shim>/soap/mktows/$MK_CLIENT_WSDL_VERSION?WSDL (default 2_9);
# the stubs take their endpoint from its soap:address.
set -eu
stack=$1 source=$2 work=$3
wsdl="$MKTOWS_SHIM_URL/soap/mktows/${MK_CLIENT_WSDL_VERSION:-2_9}?WSDL"

rm -rf "$work"
mkdir -p "$work"
cd "$work"

case "$stack" in
mono)
    wsdl -nologo -namespace:Mktows -out:Mktows.cs "$wsdl" > wsdl.log 2>&1 || { cat wsdl.log >&2; exit 1; }
    mcs -nologo -r:System.Web.Services -r:System.Xml -out:client.exe Mktows.cs "$source"
    exec mono client.exe
    ;;
axis)
    # Axis 1.4 and what it loads; javax.activation and javax.mail for
    # attachment support (without them Axis warns on every start).
    j=/usr/share/java
    cp=$j/axis.jar:$j/jaxrpc.jar:$j/saaj.jar:$j/commons-logging.jar:$j/commons-discovery.jar
    cp=$cp:$j/wsdl4j.jar:$j/javax.activation.jar:$j/javax.mail.jar
    # Three short JVM runs: the client compiler alone and the serial
    # collector halve their CPU time (javac: 7 s -> 3.3 s user).
    jvm="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    # shellcheck disable=SC2086  # $jvm: one word per option
    java $jvm -cp "$cp" org.apache.axis.wsdl.WSDL2Java -o src -p com.marketo.mktows "$wsdl"
    mkdir classes
    # Generated code uses raw types and deprecated APIs: javac kept quiet.
    # shellcheck disable=SC2046  # one argument per generated file
    javac -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC -nowarn -Xlint:none -XDsuppressNotes \
        -encoding UTF-8 -cp "$cp" -d classes $(find src -name '*.java') "$source"
    # shellcheck disable=SC2086
    exec java $jvm -cp "classes:$cp" "$(basename "$source" .java)"
    ;;
soap4r)
    # wsdl2ruby.rb's own command line needs Logger::Application, gone from
    # Ruby 3; its generator (what the command runs) is called directly with
    # the options `wsdl2ruby.rb --type client --force --module_path Mktows`
    # gives it: classes, mapping registry and driver (mktows*.rb).
    ruby -rlogger -rwsdl/soap/wsdl2ruby -e '
        w = WSDL::SOAP::WSDL2Ruby.new
        w.logger = Logger.new(STDERR, level: Logger::WARN)
        w.location, w.basedir = ARGV
        w.opt.update("classdef" => nil, "mapping_registry" => nil, "driver" => nil,
                     "force" => true, "module_path" => "Mktows")
        w.run' "$wsdl" "$work"
    exec ruby -I "$work" "$source"
    ;;
*)
    echo "wsdl_client.sh: unknown stack $stack" >&2
    exit 2
    ;;
esac
