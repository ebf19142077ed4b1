#!/bin/sh
# The hand-written recipe ns-tool replaces (reference for `npm run bench`): for each program, ldd it
# and cp every library it prints. Libraries are copied again for each program, as the recipe does.
# usage: copy_exe.sh OUTDIR PROGRAM...
set -e
out=$1; shift
mkdir -p "$out/bin" "$out/lib64"
for prog in "$@"; do
  path=$(command -v "$prog" || echo "$prog")
  cp -L "$path" "$out/bin/"
  for lib in $(ldd "$path" 2>/dev/null | grep -o '/[^ ]*'); do
    case "$lib" in
      */ld-linux*) mkdir -p "$out$(dirname "$lib")"; cp -L "$lib" "$out$lib" ;;
      *) cp -L "$lib" "$out/lib64/" ;;
    esac
  done
done
