#!/bin/sh
# confined-git.sh: runs /usr/bin/git as an unprivileged user with resource limits. It is the
# "binary" simple-git spawns for every git command of the fetch stage (see confine.ts).
# Takes: git's arguments, and in the environment (all decimal numbers, all required):
#   ASSAY_GIT_UID, ASSAY_GIT_GID   the user and group git runs as (never 0)
#   ASSAY_GIT_LIMIT_AS             address space per process, bytes (RLIMIT_AS)
#   ASSAY_GIT_LIMIT_NPROC          processes of that uid (RLIMIT_NPROC)
#   ASSAY_GIT_LIMIT_CPU            CPU seconds per process (RLIMIT_CPU)
#   ASSAY_GIT_LIMIT_FSIZE          largest file a process may write, bytes (RLIMIT_FSIZE)
#   ASSAY_GIT_LIMIT_NOFILE         open files per process (RLIMIT_NOFILE)
# Does: checks them, removes them from the environment, then execs prlimit (limits, no core
#   dumps), setpriv (the uid and gid, no supplementary groups, no capabilities, no_new_privs) and
#   git, in that order, so git's pid is this script's and a kill reaches git itself.
# Prints: only what git prints; "confined-git: ..." and exit 126 when a setting is wrong.
# Nothing here comes from the candidate: git's arguments are built by fetch.ts and only passed on.
set -eu

need_number() {
  case "$2" in
    '' | *[!0-9]*)
      echo "confined-git: $1 must be a decimal number" >&2
      exit 126
      ;;
  esac
}

need_number ASSAY_GIT_UID "${ASSAY_GIT_UID-}"
need_number ASSAY_GIT_GID "${ASSAY_GIT_GID-}"
need_number ASSAY_GIT_LIMIT_AS "${ASSAY_GIT_LIMIT_AS-}"
need_number ASSAY_GIT_LIMIT_NPROC "${ASSAY_GIT_LIMIT_NPROC-}"
need_number ASSAY_GIT_LIMIT_CPU "${ASSAY_GIT_LIMIT_CPU-}"
need_number ASSAY_GIT_LIMIT_FSIZE "${ASSAY_GIT_LIMIT_FSIZE-}"
need_number ASSAY_GIT_LIMIT_NOFILE "${ASSAY_GIT_LIMIT_NOFILE-}"
if [ "$ASSAY_GIT_UID" -eq 0 ] || [ "$ASSAY_GIT_GID" -eq 0 ]; then
  echo "confined-git: refusing to run git as root" >&2
  exit 126
fi

uid=$ASSAY_GIT_UID gid=$ASSAY_GIT_GID as=$ASSAY_GIT_LIMIT_AS nproc=$ASSAY_GIT_LIMIT_NPROC
cpu=$ASSAY_GIT_LIMIT_CPU fsize=$ASSAY_GIT_LIMIT_FSIZE nofile=$ASSAY_GIT_LIMIT_NOFILE
unset ASSAY_GIT_UID ASSAY_GIT_GID ASSAY_GIT_LIMIT_AS ASSAY_GIT_LIMIT_NPROC ASSAY_GIT_LIMIT_CPU ASSAY_GIT_LIMIT_FSIZE ASSAY_GIT_LIMIT_NOFILE

exec /usr/bin/prlimit --as="$as" --nproc="$nproc" --cpu="$cpu" --fsize="$fsize" --nofile="$nofile" --core=0 -- \
  /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- \
  /usr/bin/git "$@"
