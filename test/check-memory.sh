#!/usr/bin/env bash
# Memory check of scrape_jobs: the integration suite under valgrind memcheck.
#
#   bash test/check-memory.sh                      # as root (or prefix sudo)
#   SCRAPE_SKIP_APT=1 bash test/check-memory.sh    # machine already set up
#
# What it does:
#   1. installs what it needs with apt-get (the packages of scripts/lib.sh,
#      plus valgrind), unless SCRAPE_SKIP_APT=1; builds and installs the
#      extension (like test/run.sh);
#   2. creates a throw-away cluster in /tmp exactly as sj_start_cluster in
#      scripts/lib.sh does (same initdb options, same postgresql.conf lines,
#      test/cluster.conf, the same dead proxy variables in the server's
#      environment), but starts the postmaster under valgrind instead of
#      with pg_ctl:
#        valgrind --quiet --trace-children=yes --track-origins=yes
#                 --num-callers=30 --error-exitcode=0
#                 --log-file=$TMP/vg.%p.log --suppressions=test/valgrind.supp
#                 --fullpath-after=$ROOT/
#                 /usr/lib/postgresql/15/bin/postgres -D $TMP/data
#      as the postgres OS user.  Every process the postmaster forks (client
#      backends, the scrape_jobs launcher and fetch workers, checkpointer,
#      autovacuum, ...) runs under memcheck and writes its own vg.<pid>.log.
#      --fullpath-after only changes how file names are printed: frames in
#      our sources show as src/<file>.c:<line>, which is how they are told
#      apart from PostgreSQL files of the same name (worker.c, launcher.c,
#      shmem.c, guc.c);
#   3. runs the integration tests (test/integration/*.sql) with pg_prove the
#      way run_tap in test/run.sh does: CREATE EXTENSION scrape_jobs and
#      pgtap, ALTER DATABASE postgres SET scrape_test.base_url to the local
#      HTTP test server (test/server/fault_server.py), wait for the two fetch
#      workers, then pg_prove --failures (plus --timer, to show how long each
#      file took under valgrind);
#   4. stops the server (pg_ctl stop -m fast, generous timeout), then scans
#      every vg.*.log and prints each distinct valgrind error once, with its
#      stack, the number of occurrences and the processes it happened in.
#
# Which tests: all of test/integration/*.sql by default.  No subset is
# needed: the whole run (build, cluster under valgrind, all integration
# files, shutdown, scan) takes about 5 minutes on a 2-core machine, the
# integration files about 4 of them (14_pg_cron alone waits about a minute
# for pg_cron's minute tick).  SCRAPE_VG_TESTS="01_single 04_charsets" runs
# only those files (names without .sql).  Under valgrind every process is
# several times slower, so a test that waits a fixed time can fail from
# slowness alone: read the pg_prove output (--timer gives each file's time)
# before blaming valgrind or the code.
#
# An error counts as OURS (and fails the check) when our code is where it
# happened or where its memory came from:
#   - the error's own stack reaches a frame of ours (src/*.c, shown as
#     src/<file>.c:<line>, or scrape_jobs.so) or of libcurl before more than
#     three PostgreSQL frames; library frames on top (libc, libxml2, iconv,
#     libcurl's dependencies) are looked through, our code called them;
#   - or the block it touched was allocated or freed by our code, or the
#     uninitialised bytes were created by our code (the caller, or the
#     caller's caller, of palloc & co.);
#   - or libcurl is anywhere in its stacks (only our code calls libcurl;
#     its threads have no frame of ours).
# An error deep inside PostgreSQL whose stack merely ends in our main
# function (every stack of a worker ends in ScrapeWorkerMain) is not ours:
# it is listed with the PostgreSQL errors, marked "scrape_jobs further down
# the stack", for a human to judge.  test/valgrind.supp suppresses known
# noise of a PostgreSQL built without USE_VALGRIND, and only noise in
# PostgreSQL's own code paths; the rest of PostgreSQL's noise (padding of
# its WAL records) is listed, grouped, and does not fail the check.
# Valgrind reports an error once per process and call stack, so noise with
# the same stack as a real error can hide it: that is why the WAL padding
# of client backends and workers is not suppressed.
#
# Leak checking is off: PostgreSQL frees by memory context and at process
# exit, and leak reports would be noise.
#
# The extension is installed system-wide (make install, as test/run.sh
# does): do not run test/run.sh or make install on the same machine while
# this runs, or the server loads the other build half way through.
#
# Exit status: 0 if no valgrind error is ours and every test passed; 1 if
# valgrind found errors that are ours; 2 if there were none but tests
# failed (or the extension could not be created, or the workers did not
# start); 3 if the check itself could not run (build, initdb, the server
# did not come up).  Set SCRAPE_VG_KEEP=1 to keep the temporary directory
# (valgrind logs, server log); on a non-zero exit the logs are kept anyway
# (the data directory is removed).
set -eEuo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
trap 'exit 3' ERR      # any unchecked failure: the check could not run

VG_STARTUP_TIMEOUT=${SCRAPE_VG_STARTUP_TIMEOUT:-300}   # seconds
VG_STOP_TIMEOUT=${SCRAPE_VG_STOP_TIMEOUT:-300}         # seconds
VG_PID=""          # the runuser process that runs valgrind
T0=$SECONDS

elapsed() { echo "$((SECONDS - T0))s"; }

vg_install_deps() {
    sj_install_deps
    if [ "${SCRAPE_SKIP_APT:-0}" != 1 ]; then
        log "installing valgrind"
        $SUDO apt-get install -y -q --no-install-recommends valgrind >/dev/null
    fi
    command -v valgrind >/dev/null || { log "valgrind is not installed"; exit 3; }
}

# The cluster of sj_start_cluster (scripts/lib.sh), started under valgrind.
vg_start_cluster() {
    sj_init_cluster "$1" /tmp/scrape_jobs_vg

    log "starting the postmaster under valgrind (slow: up to ${VG_STARTUP_TIMEOUT}s)"
    # Proxy variables point at a closed port, as in sj_start_cluster.
    as_pg env "${SJ_PROXY_ENV[@]}" \
        valgrind --quiet --trace-children=yes --track-origins=yes \
            --num-callers=30 --error-exitcode=0 \
            --log-file="$SJ_TMP/vg.%p.log" \
            --suppressions="$ROOT/test/valgrind.supp" \
            --fullpath-after="$ROOT/" \
            "$PGBIN/postgres" -D "$SJ_TMP/data" \
        >"$SJ_TMP/server.log" 2>&1 </dev/null &
    VG_PID=$!

    local i
    for i in $(seq 1 "$VG_STARTUP_TIMEOUT"); do
        if ! kill -0 "$VG_PID" 2>/dev/null; then
            log "the postmaster exited during start-up:"
            tail -n 40 "$SJ_TMP/server.log" >&2
            return 1
        fi
        if "$PGBIN/pg_isready" -q -t 5 && "$PGBIN/psql" -XAtqc 'SELECT 1' >/dev/null 2>&1; then
            log "server ready after ${i}s (total $(elapsed))"
            return 0
        fi
        sleep 1
    done
    log "the server was not ready after ${VG_STARTUP_TIMEOUT}s"
    return 1
}

# Wait (longer than sj_wait_workers does) until N fetch workers run.
vg_wait_workers() {
    local want=$1 n=0 i
    for i in $(seq 1 "$VG_STARTUP_TIMEOUT"); do
        n=$("$PGBIN/psql" -XAtq -c "SELECT count(*) FROM scrape.scrape_workers()" 2>/dev/null || echo 0)
        if [ "$n" = "$want" ]; then
            log "$want workers running after ${i}s (total $(elapsed))"
            return 0
        fi
        sleep 1
    done
    log "only $n of $want workers started"
    return 1
}

# run_tap of test/run.sh, with longer waits.  (Called in an `||` list,
# where set -e does not apply: every step checks its status.)
vg_run_tap() {
    # test sessions choose their search_path, the workers get the hostile
    # database default (test/decoy.sql), as in test/run.sh
    export PGOPTIONS="-c search_path=scrape,public"
    sj_psql -f "$ROOT/test/decoy.sql" || return 1
    sj_psql -c "SET client_min_messages = warning" \
            -c "CREATE EXTENSION IF NOT EXISTS scrape_jobs" \
            -c "CREATE EXTENSION IF NOT EXISTS pgtap" \
            -c "ALTER DATABASE postgres SET scrape_test.base_url = '$SJ_HTTP_URL'" \
            -c "ALTER DATABASE postgres SET scrape_test.base_url2 = '$SJ_HTTP2_URL'" \
            -c "ALTER DATABASE postgres SET scrape_test.sentry_url = '$SJ_SENTRY_URL'" \
            -c "ALTER DATABASE postgres SET scrape_test.server_log = '$SJ_TMP/server.log'" \
        || return 1
    vg_wait_workers 2 || return 1
    (cd "$ROOT" && pg_prove --failures --timer -d postgres "$@")
}

postmaster_pid() {
    head -n 1 "$SJ_TMP/data/postmaster.pid" 2>/dev/null || true
}

# Stop the server and wait for every valgrind process to finish its log.
vg_stop_cluster() {
    [ -n "$VG_PID" ] || return 0
    if [ -f "$SJ_TMP/data/postmaster.pid" ]; then
        log "stopping the server (total $(elapsed))"
        if ! as_pg "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -m fast -w -s \
                -t "$VG_STOP_TIMEOUT" stop; then
            log "fast shutdown timed out; immediate shutdown"
            as_pg "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -m immediate -w -s -t 60 stop || true
        fi
    fi
    local pm i
    pm=$(postmaster_pid)
    for i in $(seq 1 60); do
        kill -0 "$VG_PID" 2>/dev/null || break
        sleep 1
    done
    if kill -0 "$VG_PID" 2>/dev/null && [ -n "$pm" ]; then
        log "the postmaster ($pm) is still running: SIGKILL"
        kill -KILL "$pm" 2>/dev/null || true
    fi
    wait "$VG_PID" 2>/dev/null || true
    VG_PID=""
}

vg_cleanup() {
    local rc=$?
    trap - ERR     # keep the exit status: cleaning up is best effort
    if [ -n "$SJ_HTTP_PID" ]; then
        kill "$SJ_HTTP_PID" ${SJ_HTTP2_PID:-} 2>/dev/null || true
        wait "$SJ_HTTP_PID" ${SJ_HTTP2_PID:-} 2>/dev/null || true
        SJ_HTTP_PID="" SJ_HTTP2_PID=""
    fi
    vg_stop_cluster || true
    if [ -n "$SJ_TMP" ] && [ -d "$SJ_TMP" ]; then
        if [ "$rc" -ne 0 ] || [ "${SCRAPE_VG_KEEP:-0}" = 1 ]; then
            rm -rf "$SJ_TMP/data"
            log "valgrind logs and server log kept in $SJ_TMP"
        else
            rm -rf "$SJ_TMP"
        fi
    fi
    return "$rc"
}

# Print every distinct valgrind error of the vg.*.log files in $1, ours
# first; exit 1 if any is ours.  $2 is the server log (process types).
vg_report() {
    python3 - "$1" "$2" <<'PY'
import collections, glob, os, re, sys

logdir, server_log = sys.argv[1], sys.argv[2]

# Frames of our code: src/<file>.c (paths are printed relative to the
# source tree, see --fullpath-after) or the library itself, when a frame
# has no line information.
def is_ours(frame):
    return bool(re.search(r'\(src/[A-Za-z0-9_]+\.[ch]:\d+\)|scrape_jobs\.so\)', frame))

def is_curl(frame):
    return 'libcurl' in frame

def is_pg(frame):
    return '/bin/postgres)' in frame or (
        re.search(r'\([A-Za-z0-9_]+\.c:\d+\)', frame) is not None
        and not is_ours(frame) and 'libio/' not in frame)

def fun(frame):
    return re.sub(r'^0x[0-9A-F]+: ', '', frame).split(' ')[0]

# PostgreSQL functions that only allocate or free memory: in an allocation
# (or free) stack, the caller that matters is below them.
ALLOC = re.compile(r'^(\?\?\?|palloc\w*|repalloc\w*|pfree|MemoryContext\w+|'
                   r'pstrdup|pnstrdup|psprintf|pvsnprintf|\w*StringInfo\w*|'
                   r'cstring_to_text\w*|text_to_cstring\w*)$')

def stack_is_ours(frames, alloc_stack):
    """Our code (or libcurl) near the top of a stack.  Library frames (libc,
    libxml2, iconv, libcurl's dependencies) are looked through: our code
    called them.  In the error's own stack, our code must come before more
    than three PostgreSQL frames; deeper down, our code is merely where the
    process started (every stack of a worker ends in ScrapeWorkerMain), not
    the culprit.  In an allocation stack (where a block was allocated or
    freed, where an uninitialised value was created), the allocator frames
    at the top are skipped, then our code must be the caller or the
    caller's caller."""
    pg = 0
    limit = 1 if alloc_stack else 3
    top = alloc_stack
    for f in frames:
        if is_ours(f) or is_curl(f):
            return True
        if is_pg(f):
            if top and ALLOC.match(fun(f)):
                continue
            top = False
            pg += 1
            if pg > limit:
                return False
    return False

# pid -> backend type, from log_line_prefix '%m [%p] %b '
ptype = {}
try:
    with open(server_log, errors='replace') as f:
        for line in f:
            m = re.match(r'\S+ \S+ \S+ \[(\d+)\] (.+?) (LOG|WARNING|ERROR|FATAL|PANIC|DEBUG\d?|INFO|NOTICE|DETAIL|HINT|CONTEXT|STATEMENT):', line)
            if m:
                ptype.setdefault(m.group(1), m.group(2))
except OSError:
    pass

def blocks(path):
    """Yield (pid, [lines]) for each message block of a valgrind log."""
    cur, pid = [], None
    with open(path, errors='replace') as f:
        for raw in f:
            m = re.match(r'^==(\d+)== ?(.*)$', raw.rstrip('\n'))
            if not m:
                if raw.strip():
                    yield (None, [raw.rstrip('\n')])
                continue
            pid, text = m.group(1), m.group(2)
            if text.strip() == '':
                if cur:
                    yield (pid, cur)
                cur = []
            else:
                cur.append(text)
    if cur:
        yield (pid, cur)

FRAME = re.compile(r'^\s*(at|by) (0x[0-9A-F]+: .*)$')

def sections(lines):
    """Split an error into (heading, [frames]) sections: the error itself,
    then 'Address ... alloc'd/free'd', 'Uninitialised value was created'."""
    out = []
    for l in lines:
        fm = FRAME.match(l)
        if fm and out:
            out[-1][1].append(fm.group(2))
        elif not fm:
            out.append((l.strip(), []))
    return out

def norm(s):
    s = re.sub(r'0x[0-9A-F]+', 'ADDR', s)
    s = re.sub(r'[\d,]+ bytes', 'N bytes', s)
    return re.sub(r'size [\d,]+', 'size N', s)

# the process type, from the main function at the bottom of a stack
MAINS = {'ScrapeWorkerMain': 'scrape_jobs worker',
         'ScrapeLauncherMain': 'scrape_jobs launcher',
         'PostgresMain': 'client backend',
         'StartAutoVacWorker': 'autovacuum worker',
         'StartAutoVacLauncher': 'autovacuum launcher',
         'CheckpointerMain': 'checkpointer', 'StartupProcessMain': 'startup',
         'BackgroundWriterMain': 'background writer',
         'WalWriterMain': 'walwriter', 'PgCronLauncherMain': 'pg_cron launcher',
         'StartBackgroundWorker': 'background worker'}

errors = collections.OrderedDict()   # signature -> dict
notes = collections.Counter()
logs = sorted(glob.glob(os.path.join(logdir, 'vg.*.log')))
for path in logs:
    for pid, lines in blocks(path):
        if pid is None:
            notes[lines[0]] += 1
            continue
        if lines and re.match(r'^Thread \d+', lines[0]):
            lines = lines[1:]
        secs = sections(lines)
        if not secs or not any(fr for _, fr in secs):
            if lines:
                notes[lines[0]] += 1
            continue
        kind = secs[0][0]
        main = secs[0][1]
        ours = stack_is_ours(main, False) or any(
            stack_is_ours(fr, True) for _, fr in secs[1:])
        ours = ours or any(is_curl(f) for _, fr in secs for f in fr)
        deep = not ours and any(is_ours(f) for _, fr in secs for f in fr)
        sig = (norm(kind), tuple(fun(f) + '@' + f.split(': ', 1)[0] for f in main[:12]),
               tuple(norm(h) for h, _ in secs[1:]),
               tuple(tuple(fun(f) for f in fr[:6]) for _, fr in secs[1:]))
        e = errors.setdefault(sig, {'kind': kind, 'secs': secs, 'ours': ours,
                                    'deep': deep, 'count': 0,
                                    'pids': collections.Counter()})
        e['count'] += 1
        e['pids'][pid] += 1
        if pid not in ptype:      # a process that logged nothing: its stack
            for f in main:
                t = MAINS.get(fun(f))
                if t:
                    ptype[pid] = t
                    break

def show(e, maxframes):
    pids = ', '.join('%s%s' % (p, ' (%s)' % ptype[p] if p in ptype else '')
                     for p in list(e['pids'])[:6])
    more = ' ...' if len(e['pids']) > 6 else ''
    print('--- %s%s  [%d time(s) in %d process(es): %s%s]'
          % (e['kind'], '  (scrape_jobs further down the stack)' if e['deep'] else '',
             e['count'], len(e['pids']), pids, more))
    for i, (head, frames) in enumerate(e['secs']):
        if i > 0:
            print('     ' + head)
        for j, f in enumerate(frames):
            if j >= maxframes:
                print('         ... (%d more frames)' % (len(frames) - j))
                break
            print('       %s %s' % ('at' if j == 0 else 'by', f))
    print()

ours = [e for e in errors.values() if e['ours']]
other = [e for e in errors.values() if not e['ours']]
print('==> valgrind: %d log file(s), %d distinct error(s): %d ours '
      '(src/*.c, libcurl, or libxml2/iconv called by our code), %d PostgreSQL/other'
      % (len(logs), len(errors), len(ours), len(other)))
if ours:
    print('\n==> ERRORS IN OUR CODE (or in libraries our code called)\n')
    for e in ours:
        show(e, 30)
if other:
    # The same error from different processes differs only in where its
    # bytes came from: one example stack per group, then the origins.
    groups = collections.OrderedDict()
    for e in other:
        key = (norm(e['kind']), tuple(fun(f) for f in e['secs'][0][1][:12]))
        groups.setdefault(key, []).append(e)
    print('\n==> errors in PostgreSQL or other code: not ours, they do not fail the\n'
          '    check (see test/valgrind.supp before suppressing any of them)\n')
    for es in groups.values():
        show(es[0], 10)
        if len(es) > 1:
            print('     and %d more like it, from:' % (len(es) - 1))
            for e in es[1:]:
                origin = '; '.join('%s %s' % (h.split(' was ')[-1] if ' was ' in h else h,
                                              fun(fr[0]) if fr else '')
                                   for h, fr in e['secs'][1:] if fr)
                pids = ', '.join('%s%s' % (p, ' (%s)' % ptype[p] if p in ptype else '')
                                 for p in e['pids'])
                print('       %s  [%s]' % (origin or '-', pids))
            print()
if notes:
    print('==> valgrind notes (not errors):')
    for n, c in notes.most_common(20):
        print('    %5d x %s' % (c, n))
sys.exit(1 if ours else 0)
PY
}

vg_install_deps
sj_build
trap vg_cleanup EXIT
vg_start_cluster "$ROOT/test/cluster.conf"
sj_start_http
sj_start_sentry

tests=()
if [ -n "${SCRAPE_VG_TESTS:-}" ]; then
    for t in $SCRAPE_VG_TESTS; do
        tests+=("$ROOT/test/integration/${t%.sql}.sql")
    done
else
    tests=("$ROOT"/test/integration/*.sql)
fi

log "integration tests under valgrind: ${tests[*]##*/} (total $(elapsed))"
tap_rc=0
vg_run_tap "${tests[@]}" || tap_rc=$?
log "integration tests done, pg_prove exit status $tap_rc (total $(elapsed))"

kill "$SJ_HTTP_PID" ${SJ_HTTP2_PID:-} 2>/dev/null || true
wait "$SJ_HTTP_PID" ${SJ_HTTP2_PID:-} 2>/dev/null || true
SJ_HTTP_PID="" SJ_HTTP2_PID=""
vg_stop_cluster
log "server stopped (total $(elapsed)); scanning the valgrind logs"

vg_rc=0
vg_report "$SJ_TMP" "$SJ_TMP/server.log" || vg_rc=$?

if [ "$vg_rc" -ne 0 ]; then
    log "FAILED: valgrind found errors in our code (total $(elapsed))"
    exit 1
fi
if [ "$tap_rc" -ne 0 ]; then
    log "no valgrind error in our code, but integration tests failed under valgrind (total $(elapsed))"
    exit 2
fi
log "OK: no valgrind error in our code, every test passed (total $(elapsed))"
