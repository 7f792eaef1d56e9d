#!/bin/sh
# with_stack.sh — run a real SOAP client against a fresh marketo-emulator and
# mktows-shim, both on free ports: every client check (zeep_*.py, php_*.php,
# the legacy stacks of legacy_clients.cmake) runs under it.
#
# usage: with_stack.sh [--seeded] [--emulator-arg ARG]... EMULATOR SHIM -- COMMAND [ARG...]
#        with_stack.sh --no-emulator SHIM -- COMMAND [ARG...]
#
#   --seeded            COMMAND builds the emulator's seed (dated from now, say):
#                       it is first run as COMMAND --write-seed FILE, and the
#                       emulator starts on FILE
#   --emulator-arg ARG  one more option for marketo-emulator (repeatable; an
#                       ARG holds no spaces)
#   --no-emulator       the shim alone, its REST endpoint a closed port
#
# The command gets MKTOWS_SHIM_URL (http://127.0.0.1:PORT, the shim) and
# MKTOWS_EMULATOR_URL in its environment, and the SOAP user of Marketo's
# documentation examples (bigcorp1_461839624B16E06BA2D663) is configured.
# More shim configuration comes from the environment (MKTOWS_* variables).
# The exit status is the command's; it is 1 as well when either program
# does not exit cleanly on SIGTERM (a sanitizer report makes it non-zero).
set -u
seeded= emu_args= emulator=
while :; do
    case "${1:-}" in
    --seeded) seeded=1; shift ;;
    --emulator-arg) emu_args="$emu_args $2"; shift 2 ;;
    --no-emulator) emulator=-; shift ;;
    *) break ;;
    esac
done
[ -n "$emulator" ] || { emulator=$1; shift; }
shim=$1
shift
[ "${1:-}" = "--" ] && shift

tmp=$(mktemp -d)
emu_pid= shim_pid=

stop() {   # stop PID NAME: SIGTERM, wait, report an unclean exit
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null
    wait "$1"
    st=$?
    if [ "$st" -ne 0 ]; then
        echo "with_stack.sh: $2 exited with status $st" >&2
        return 1
    fi
}

# wait_ready FILE PID: the URL from the program's "listening on URL" line
# (fails at once if the program exits first, after 20 s otherwise).
wait_ready() {
    i=0
    while [ $i -lt 200 ]; do
        url=$(sed -n 's/^listening on //p' "$1" | head -n 1)
        if [ -n "$url" ]; then
            echo "$url"
            return 0
        fi
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

finish() {
    rc=$1
    stop "$shim_pid" mktows-shim || rc=1
    stop "$emu_pid" marketo-emulator || rc=1
    rm -rf "$tmp"
    exit "$rc"
}

if [ "$emulator" = "-" ]; then
    emu_url=http://127.0.0.1:9
else
    if [ -n "$seeded" ]; then
        "$@" --write-seed "$tmp/seed.json" || { echo "with_stack.sh: no seed" >&2; finish 1; }
        emu_args="--seed $tmp/seed.json $emu_args"
    fi
    # shellcheck disable=SC2086  # emu_args: one word per option
    "$emulator" --listen 127.0.0.1:0 --client-id client-test --client-secret secret-test \
        $emu_args > "$tmp/emu.out" &
    emu_pid=$!
    emu_url=$(wait_ready "$tmp/emu.out" $emu_pid) || { echo "with_stack.sh: emulator not ready" >&2; finish 1; }
fi

cat > "$tmp/shim.json" <<EOF
{"listen": "127.0.0.1:0",
 "rest": {"endpoint": "$emu_url", "identity": "$emu_url/identity",
          "client_id": "client-test", "client_secret": "secret-test"},
 "soap_users": {"bigcorp1_461839624B16E06BA2D663":
                {"encryption_key": "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"}},
 "leads": {"foreign_sys_person_id_field": "foreignSysPersonId"}}
EOF
"$shim" --config "$tmp/shim.json" > "$tmp/shim.out" &
shim_pid=$!
shim_url=$(wait_ready "$tmp/shim.out" $shim_pid) || { echo "with_stack.sh: shim not ready" >&2; finish 1; }

MKTOWS_SHIM_URL=$shim_url MKTOWS_EMULATOR_URL=$emu_url "$@"
finish $?
