#!/bin/sh
# The exodus way (the reference of the data rows of `npm run bench`): run the job under strace -f,
# keep every existing host file it opened, executed or probed, copy the ELF files with their
# libraries (lddtree --copy-to-tree) and the other files as they are (cp --parents).
# usage: exodus.sh OUTDIR 'JOB' (run with sh -c); LDDTREE: how to run lddtree.
set -e
out=$1 job=$2
log=$(mktemp) list=$(mktemp)
mkdir -p "$out"
strace -f -qq -o "$log" -e trace=open,openat,execve,stat,lstat,newfstatat,statx,access,faccessat,readlink,readlinkat sh -c "$job" >/dev/null 2>&1
grep -oE '"/[^"]*"' "$log" | tr -d '"' | sort -u > "$list"
elfs=''
while read -r f; do
  case $f in /proc/*|/sys/*|/dev/*|/tmp/*|/run/*) continue ;; esac
  if [ -d "$f" ] && [ ! -L "$f" ]; then mkdir -p "$out$f"; continue; fi
  [ -e "$f" ] || continue
  if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then elfs="$elfs $f"; else (cd / && cp -a --parents "${f#/}" "$out"); fi
done < "$list"
# shellcheck disable=SC2086
[ -z "$elfs" ] || $LDDTREE --copy-to-tree "$out" $elfs > /dev/null
rm -f "$log" "$list"
