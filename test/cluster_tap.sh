# TAP output and a cluster of their own for the shell tests that need one
# (test/lifecycle.sh, test/chaos.sh); sourced after scripts/lib.sh.

n=0
failed=0
tap() {             # tap OK DESCRIPTION
    n=$((n + 1))
    if [ "$1" = true ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
    fi
}
check() {           # check DESCRIPTION COMMAND...: ok when the command succeeds
    local what=$1
    shift
    if "$@"; then tap true "$what"; else tap false "$what"; fi
}
q() { "$PGBIN/psql" -XAtq -v ON_ERROR_STOP=1 "$@"; }
no_errors() {       # no_errors LOG [LINE]: no ERROR, FATAL or PANIC in it from
                    # line LINE on (printed if any)
    ! tail -n +"${2:-1}" "$1" | grep -E '(ERROR|FATAL|PANIC):' | sed 's/^/# /' | grep .
}
wait_for() {        # wait_for SECONDS QUERY [psql options]: until it prints t
    local secs=$1 query=$2 i
    shift 2
    for i in $(seq 1 $((secs * 10))); do
        [ "$(q "$@" -c "$query" 2>/dev/null)" = t ] && return 0
        sleep 0.1
    done
    return 1
}

# A cluster of our own: the test settings, then EXTRA lines.
lc_cluster() {      # lc_cluster EXTRA
    local conf
    conf=$(mktemp)
    { cat "$ROOT/test/cluster.conf"; printf '%s\n' "$1"; } >"$conf"
    sj_init_cluster "$conf" /tmp/scrape_cluster
    rm -f "$conf"
    sj_server_start
    trap sj_cleanup EXIT
}


tap_done() {        # the plan line; the exit status says whether all passed
    echo "1..$n"
    [ "$failed" -eq 0 ]
}
