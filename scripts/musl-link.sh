#!/bin/sh
# Link a static position-independent executable against musl:
#   musl-link.sh OUTPUT OBJECT_OR_ARCHIVE...
# musl-gcc's specs know only -static (no ASLR for the binary) or a dynamic
# link against /lib/ld-musl-*.so.1; for -static-pie the start files
# (rcrt1.o) and musl's libc.a are named here, next to gcc's own crtbeginS.o,
# crtendS.o and libgcc.a. musl's directory is the one its gcc wrapper's
# specs live in (Debian: /usr/lib/<multiarch>-musl).
set -eu
out=$1
shift
specs=$(sed -n 's/.*-specs "\([^"]*\)".*/\1/p' "$(command -v musl-gcc)")
musl=$(dirname "$specs")
[ -f "$musl/rcrt1.o" ] && [ -f "$musl/libc.a" ] || {
	echo "musl-link.sh: no rcrt1.o and libc.a in $musl (from $(command -v musl-gcc))" >&2
	exit 1
}
exec gcc -static-pie -nostdlib -nostartfiles -Wl,--gc-sections -Wl,-z,relro,-z,now \
	-Wl,-z,noexecstack -o "$out" "$musl/rcrt1.o" "$musl/crti.o" "$(gcc -print-file-name=crtbeginS.o)" \
	"$@" "$musl/libc.a" "$(gcc -print-libgcc-file-name)" "$(gcc -print-file-name=crtendS.o)" "$musl/crtn.o"
