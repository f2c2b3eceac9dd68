#!/bin/sh
# make check-sql: refuse a change to SQL objects that is not a new version.
#
# install/releases/ holds the scripts of every released version, and
# SHA256SUMS their checksums.  A release is frozen: users' databases were
# made by its scripts, and upgrades start from them.  So:
#   1. every released script still has the checksum it was released with,
#      and no line of SHA256SUMS was ever changed or removed (git history);
#   2. the current version (default_version) is released, and the scripts
#      built from the parts in install/ are byte for byte its released ones.
# A change to a part therefore fails (2) until it ships as a new version:
# bump default_version, add install/updates/OLD--NEW.sql, `make release`.
set -eu
cd "$(dirname "$0")"
fail() { echo "check-sql: $*" >&2; exit 1; }

version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" ../scrape_jobs.control)
[ -n "$version" ] || fail "no default_version in scrape_jobs.control"

(cd releases && sha256sum --quiet -c SHA256SUMS) \
    || fail "a released script in install/releases/ was changed: releases are frozen"
for f in releases/*.sql; do
    grep -q "  $(basename "$f")\$" releases/SHA256SUMS \
        || fail "$f is not in install/releases/SHA256SUMS (make release adds it)"
done
if git -C .. rev-parse --git-dir >/dev/null 2>&1; then
    removed=$(git -C .. log -p --format= -- install/releases/SHA256SUMS \
              | grep -E '^-[0-9a-f]{64}' || true)
    [ -z "$removed" ] || fail "a line of install/releases/SHA256SUMS was changed or removed: $removed"
else
    echo "check-sql: not a git checkout, the history of SHA256SUMS was not checked"
fi

# every version after the first is reached by an upgrade from the release
# before it
previous=$(ls releases/ | sed -n 's/^scrape_jobs--\([0-9.]*\)\.sql$/\1/p' \
           | grep -v -x -F "$version" | sort -V | tail -n 1)
if [ -n "$previous" ] && [ ! -f "updates/$previous--$version.sql" ]; then
    fail "no upgrade script from release $previous to $version: add install/updates/$previous--$version.sql"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh build.sh install "$version" >"$tmp/scrape_jobs--$version.sql"
for u in updates/*--"$version".sql; do
    [ -f "$u" ] || continue
    from=$(basename "$u" .sql | sed 's/--.*//')
    sh build.sh update "$from" "$version" >"$tmp/scrape_jobs--$from--$version.sql"
done
for f in "$tmp"/*.sql; do
    name=$(basename "$f")
    [ -f "releases/$name" ] \
        || fail "version $version is not released ($name is missing from install/releases/): run make release"
    cmp -s "$f" "releases/$name" \
        || fail "the SQL built from install/ differs from released $name: an SQL object changed without a new version (bump default_version in scrape_jobs.control, add install/updates/$version--NEW.sql, then make release)"
done
echo "check-sql: version $version, $(ls releases/*.sql | wc -l) released scripts, all frozen"
