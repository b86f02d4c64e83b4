# The checks' harness, sourced by containers/test.sh and cluster/test.sh: headings, PASS and FAIL lines and
# their counts, waiting for a condition, and comparing the figures a check reads (a figure that is not a
# number never passes).
passed=0
failed=0
started=$(date +%s)

say() { printf '\n=== %s (%s s so far)\n' "$*" "$(( $(date +%s) - started ))"; }
loud() { printf '\n!!! %s !!!\n' "$*"; }
pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
wait_for() { # seconds description command...
    local seconds=$1 what=$2; shift 2
    local deadline=$(( $(date +%s) + seconds ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "${deadline}" ] || { echo "not within ${seconds} s: ${what}"; return 1; }
        sleep 1
    done
}
number() { [[ "$1" =~ ^[0-9]+([.][0-9]+)?$ ]]; }
at_least() { number "$1" && number "$2" && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
between() { at_least "$2" "$1" && at_least "$3" "$2"; } # low x high
