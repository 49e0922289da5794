#!/usr/bin/env bash
# The man pages: each renders with man(1) at 80 columns and with groff's
# warnings on, without a single warning; kcd.conf(5) documents every key
# the parser knows (tests/tools/kc-conf-keys prints kc_conf_key_name()) and
# no other; the other pages name the options the programs have.
set -u
. "$top_srcdir/tests/lib/check.sh"
command -v man >/dev/null || { echo "SKIP: man not installed (man-db)"; exit 77; }
command -v groff >/dev/null || { echo "SKIP: groff not installed (groff-base)"; exit 77; }
keys_tool=$top_builddir/tests/tools/kc-conf-keys
[[ -x "$keys_tool" ]] || { echo "error: $keys_tool not built" >&2; exit 99; }

pages=(pam_kundencenter.8 kcd.8 kcd.conf.5 kcadm.8)
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-man.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# render PAGE: man's text at 80 columns; stderr (warnings) into PAGE.err.
render()
{
  MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings=all \
    -E UTF-8 -l "$top_srcdir/man/$1" 2>"$work/$1.err"
}

for p in "${pages[@]}"; do
  src=$top_srcdir/man/$p
  kc_check "$p: exists" test -s "$src"
  render "$p" >"$work/$p.txt"
  kc_check "$p: man -l renders it" test -s "$work/$p.txt"
  kc_check "$p: man --warnings=all says nothing" test ! -s "$work/$p.err"
  [[ -s "$work/$p.err" ]] && sed 's/^/    # /' "$work/$p.err"
  kc_check_nogrep "$p: groff -man -ww -z says nothing" '.' \
    groff -man -ww -z -K utf8 "$src"
  kc_check_nogrep "$p: no rendered line is wider than 80 columns" '.' \
    awk 'length > 80' "$work/$p.txt"
  kc_check "$p: has NAME, SYNOPSIS and SEE ALSO" \
    grep -qz 'NAME.*SYNOPSIS.*SEE ALSO' "$work/$p.txt"
done

# ---- kcd.conf(5) and the parser: the .TP entries of the KEYS section
"$keys_tool" | sort >"$work/parser.keys"
awk '/^\.SH / { in_keys = ($0 ~ /^\.SH "?KEYS"?$/) }
  in_keys && prev ~ /^\.TP/ { print }
  { prev = $0 }' "$top_srcdir/man/kcd.conf.5" |
  sed -E 's/^\.[A-Z]+ +"?([A-Za-z0-9_]+).*/\1/' | sort >"$work/man.keys"
kc_check "the parser knows keys ($(wc -l <"$work/parser.keys"))" \
  test -s "$work/parser.keys"
kc_check_nogrep "kcd.conf(5) documents every key the parser knows" '.' \
  comm -23 "$work/parser.keys" "$work/man.keys"
kc_check_nogrep "kcd.conf(5) documents no key the parser does not know" '.' \
  comm -13 "$work/parser.keys" "$work/man.keys"
kc_check_nogrep "kcd.conf(5) documents each key once" '.' uniq -d "$work/man.keys"
# Each key also shows as "key = ..." in the rendered page.
missing=
while read -r k; do
  grep -Eq "^ +$k = " "$work/kcd.conf.5.txt" || missing+=" $k"
done <"$work/parser.keys"
kc_check "every key renders as \"key = VALUE\" in kcd.conf(5)" test -z "$missing"
[[ -z "$missing" ]] || echo "    # not rendered:$missing"
# The example kcd.conf names every key too (commented out or set).
missing=
while read -r k; do
  grep -Eq "^#? *$k = " "$top_srcdir/examples/kcd.conf" || missing+=" $k"
done <"$work/parser.keys"
kc_check "examples/kcd.conf shows every key" test -z "$missing"
[[ -z "$missing" ]] || echo "    # not in examples/kcd.conf:$missing"

# ---- the programs' options are in their pages
kcd_help=$("$top_builddir/kcd/kcd" --help)
for o in $(grep -oE -- '--?[a-z][a-z-]*' <<<"$kcd_help" | sort -u); do
  kc_check_grep "kcd(8) documents $o" "(^|[ ,])$o([ ,]|$)" cat "$work/kcd.8.txt"
done
if [[ -x "$top_builddir/kcd/kcadm/kcadm" ]]; then
  kcadm_help=$("$top_builddir/kcd/kcadm/kcadm" --help)
  for o in $(grep -oE -- '(^| )--?[a-z][a-z-]*' <<<"$kcadm_help" | sort -u); do
    kc_check_grep "kcadm(8) documents $o" "(^|[ ,[])$o([] ,]|$)" cat "$work/kcadm.8.txt"
  done
  # Every "kcadm WORD WORD" command of the help is in the page.
  while read -r cmd; do
    kc_check_grep "kcadm(8) documents \"$cmd\"" "^ +$cmd( |$)" cat "$work/kcadm.8.txt"
  done < <(sed -nE 's/^ +kcadm ([a-z]+ [a-z-]+).*/\1/p' <<<"$kcadm_help" | sort -u)
fi
# The option list in the header comment of options.h (" *   name[=VALUE]").
opts=$(sed -nE 's/^ \*   ([a-z_]+)(=[A-Za-z|]+)? .*/\1/p' \
  "$top_srcdir/pam_kundencenter/options.h")
kc_check "options.h lists the module's options" test -n "$opts"
for o in $opts; do
  kc_check_grep "pam_kundencenter(8) documents $o" "^ +$o(=| |$)" \
    cat "$work/pam_kundencenter.8.txt"
done
kc_done
