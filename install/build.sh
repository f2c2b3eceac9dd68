#!/bin/sh
# Build scrape_jobs' versioned SQL scripts from the parts in install/.
#
#   sh install/build.sh install VERSION         the install script
#   sh install/build.sh update FROM VERSION     the upgrade script FROM -> VERSION
#
# An install script is the pre-install part (tables.sql) followed by every
# part of PARTS; an upgrade script is install/updates/FROM--VERSION.sql
# (what changes tables and drops what a release removes) followed by the same
# PARTS, which are all CREATE OR REPLACE and idempotent: an upgrade's own
# diff stays small, and an upgraded database runs the same function bodies
# as a fresh install (install/README.md has the rules).
set -eu
cd "$(dirname "$0")"

# In dependency order: a LANGUAGE sql function must follow what its body
# names.
PARTS="tenancy metrics progress alerts extraction submission discovery queue
stages products monitor api comments privileges"

emit() {
    printf '\n-- ======== install/%s ========\n\n' "$1"
    cat "$1"
}

case "${1:-}" in
install)
    version=$2
    printf -- '-- scrape_jobs %s: built by install/build.sh from install/*.sql; do not edit.\n' "$version"
    printf '\\echo Use "CREATE EXTENSION scrape_jobs" to load this file. \\quit\n'
    emit tables.sql
    ;;
update)
    from=$2 version=$3
    printf -- '-- scrape_jobs %s -> %s: built by install/build.sh from install/*.sql; do not edit.\n' "$from" "$version"
    printf '\\echo Use "ALTER EXTENSION scrape_jobs UPDATE TO '"'%s'"'" to load this file. \\quit\n' "$version"
    emit "updates/$from--$version.sql"
    ;;
*)
    echo "usage: $0 install VERSION | update FROM VERSION" >&2
    exit 2
    ;;
esac
for p in $PARTS; do
    emit "$p.sql"
done
