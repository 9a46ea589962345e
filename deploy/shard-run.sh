#!/bin/sh
# Runs one shard and says whether it recorded a run, for an engine that retries failed shards
# (a Kubernetes Indexed Job, a CI matrix job).
#
#   deploy/shard-run.sh LINK -- stackaudit run --reports-dir=DIR --shard=I/N ...
#
# A shard's exit codes 1 (a blocker failed), 6 (could not check) and 7 (a warning) are findings,
# not crashes: running the shard again would find them again. So when the run recorded itself
# (DIR/latest moved to a new run directory), LINK is pointed at that run directory (a relative
# symbolic link, so it still resolves when a CI engine moves the files) and this script exits 0:
# `stackaudit merge` over all the shards gives the night's exit code.
# When no run was recorded, the shard did not do its work: the exit code is kept (4, bad input,
# or 2, a usage error: retrying cannot help; anything else may be transient), and a run that ended
# with a findings code but no record exits 8, stackaudit's "the run's record is incomplete".
set -u
# What this script and the run write is its user's alone: `stackaudit merge` refuses a shard's run
# that others could have changed.
umask 077
if [ "$#" -lt 3 ] || [ "$2" != "--" ]; then
    echo "usage: $0 LINK -- stackaudit run --reports-dir=DIR ..." >&2
    exit 2
fi
link=$1
shift 2
reports=
for arg in "$@"; do
    case $arg in --reports-dir=*) reports=${arg#--reports-dir=} ;; esac
done
if [ -z "$reports" ]; then
    echo "$0: the command must name its reports directory as --reports-dir=DIR" >&2
    exit 2
fi
before=$(readlink -f "$reports/latest" 2>/dev/null || true)
"$@"
code=$?
after=$(readlink -f "$reports/latest" 2>/dev/null || true)
if [ -n "$after" ] && [ "$after" != "$before" ] && [ -f "$after/summary.json" ]; then
    mkdir -p "$(dirname "$link")"
    target=$(realpath --relative-to="$(dirname "$link")" "$after")
    ln -sfn "$target" "$link.tmp.$$" && mv -Tf "$link.tmp.$$" "$link"
    echo "shard recorded: $link -> $after (exit code $code: judged by stackaudit merge)"
    exit 0
fi
echo "$0: the shard recorded no run (exit code $code)" >&2
case $code in
    0|1|6|7) exit 8 ;;
    *) exit "$code" ;;
esac
