#!/bin/sh
# Records how real consumers read the number spellings of issue 19 (item 4), one TSV line per input:
# the input (\uXXXX escapes outside ASCII, as in numbers-java-inputs.txt) and the consumer's answer.
#   iptables-restore: `--dport N` and `-I INPUT N`, loaded in a private network namespace (unshare -n:
#                     no interface, no traffic) and saved back; the answer is the saved rule or the error
#   mariadbd:         `--innodb-lock-wait-timeout=N --verbose --help`: the value it would run with (after its
#                     bounds, 0 to 100000000), or its first error (InnoDB is then disabled)
#   dpkg:             `dpkg --compare-versions 1.N ge 1.0`, and against 1.(N+1) for long digit runs
#   ocaml:            int_of_string, as XAPI's Timeouts.get_base_t reads the HA timeout
# Usage: record-numbers.sh OUTPUT_DIR (as root: unshare -n needs it). Debian 12 packages.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
inputs=$(mktemp)
python3 - "$inputs" <<'PY'
import sys
forms = ["22", "+22", "0x16", "0X16", "026", "09", "0x", "0", "65535", "65536", "-22", "1_0", "\\u0662\\u0662",
         "\\uff12\\uff12", "\\u00b2", "0" * 1000 + "22", "0" * 1021 + "22", "0" * 1022 + "22", "1" * 5000, "1K",
         "1k", "1KB", "K", "151 ", "+-1", "-5", "18446744073709551615", "18446744073709551616", "16E", "0xB4",
         "0o264", "0b10110100", "0u180", "1_80", "_180", "180_", "-180", "4611686018427387903",
         "4611686018427387904", "0x7FFFFFFFFFFFFFFF", "0x8000000000000000"]
open(sys.argv[1], "w").write("\n".join(forms) + "\n")
PY
decode() { python3 -c 'import sys; sys.stdout.write(sys.argv[1].encode().decode("unicode_escape"))' "$1"; }
rules=$(mktemp)
: > "$out/numbers-iptables-restore-1.8.9.tsv"
while IFS= read -r form; do
    n=$(decode "$form")
    for line in "-A INPUT -p tcp --dport $n -j ACCEPT" "-I INPUT $n -p tcp --dport 22 -j ACCEPT"; do
        printf '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\n%s\nCOMMIT\n' "$line" > "$rules"
        answer=$(unshare -n sh -c "iptables-restore < $rules && iptables-save | grep -- '^-A INPUT' | tr '\n' ';'" 2>&1 \
                 | head -1 | cut -c1-200) || true
        printf '%s\t%s\t%s\n' "${line%% -j *}" "$form" "$answer" | sed "s/$n/N/" >> "$out/numbers-iptables-restore-1.8.9.tsv"
    done
done < "$inputs"
: > "$out/numbers-mariadbd-10.11-options.tsv"
while IFS= read -r form; do
    n=$(decode "$form")
    answer=$(mariadbd --no-defaults --user=root --innodb-lock-wait-timeout="$n" --verbose --help 2>&1 \
             | grep -a -E "^innodb-lock-wait-timeout |\\[ERROR\\] " | head -1 | sed 's/.*\[ERROR\] //' | tr -s ' ' | cut -c1-160) || true
    # mariadbd quotes the first byte of a multi-byte character alone: kept as U+FFFD
    printf '%s\t%s\n' "$form" "$answer" | python3 -c 'import sys; sys.stdout.write(sys.stdin.buffer.read().decode("utf-8", "replace"))' \
        >> "$out/numbers-mariadbd-10.11-options.tsv"
done < "$inputs"
: > "$out/numbers-dpkg-compare-versions.tsv"
for pair in "1.0 1.0" "1.00000000000000000000000000000000000000001 1.1" "1.$(printf '9%.0s' $(seq 5000)) 1.$(printf '9%.0s' $(seq 4999))8" \
            "1.$(printf '0%.0s' $(seq 5000))2 1.10" "1:1.0 2.0" "1.0~rc1 1.0" "1.0+b1 1.0" "3.0.17-1~deb12u2 3.0.15-1~deb12u1"; do
    set -- $pair
    if dpkg --compare-versions "$1" ge "$2" 2>/dev/null; then answer=ge; else answer=lt; fi
    printf '%s\t%s\t%s\n' "$1" "$2" "$answer" >> "$out/numbers-dpkg-compare-versions.tsv"
done
ml=$(mktemp --suffix=.ml)
cat > "$ml" <<'ML'
let () = try while true do
  let text = input_line stdin in
  print_endline (try string_of_int (int_of_string text) with Failure _ -> "Failure")
done with End_of_file -> ()
ML
python3 -c 'import sys; sys.stdout.write(open(sys.argv[1]).read().encode().decode("unicode_escape"))' "$inputs" \
  | ocaml "$ml" | paste "$inputs" - > "$out/numbers-ocaml-int-of-string-4.13.tsv"
rm -f "$inputs" "$rules" "$ml"
