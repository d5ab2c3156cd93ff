#!/bin/sh
# Run a validator over synth's conformance suite, in POSIX sh (no JSON parser needed).
#
#   synth suite --out suite
#   sh examples/suite/run.sh suite synth validate --objects --profile {profile} --root {root} {manifest}
#
# For each case of SUITE/cases.tsv, runs the command with {manifest}, {root} and {profile}
# (whole arguments) replaced by the case's, and compares its exit status (0: valid) with
# the case's verdict, and the lines it flags (FILE:LINE: prefixes, warnings aside) with the
# case's: each line of `flag` flagged (or a line of `either`, the line a dataset fault's
# line is judged against), and no line flagged outside `flag` and `either`.
# CHECK_LINES=no compares the exit status only. Prints TAP; exits 1 if any case disagrees.
suite=$1
shift
[ -f "$suite/cases.tsv" ] || { echo "usage: run.sh SUITE COMMAND..." >&2; exit 2; }

run_case() { # MANIFEST ROOT PROFILE COMMAND...: the command, placeholders replaced
    manifest=$1 root=$2 profile=$3
    shift 3
    count=$#
    while [ "$count" -gt 0 ]; do
        arg=$1
        shift
        case $arg in
            {manifest}) arg=$manifest ;;
            {root}) arg=$root ;;
            {profile}) arg=$profile ;;
        esac
        set -- "$@" "$arg"
        count=$((count - 1))
    done
    "$@"
}

has() { # LIST NUMBER: whether the comma-separated LIST holds NUMBER
    case ",$1," in *",$2,"*) return 0 ;; esac
    return 1
}

judge_lines() { # FLAGGED FLAG EITHER (comma-separated, - for none): ok, or what is wrong
    for n in $(echo "$1" | tr , ' '); do
        if [ "$n" != - ] && ! has "$2" "$n" && ! has "$3" "$n"; then
            echo "flagged line $n, which is valid"; return
        fi
    done
    for n in $(echo "$2" | tr , ' '); do
        if [ "$n" = - ] || has "$1" "$n"; then continue; fi
        caught=no
        for e in $(echo "$3" | tr , ' '); do
            if has "$1" "$e"; then caught=yes; fi
        done
        if [ $caught = no ]; then echo "missed line $n ($rules)"; return; fi
    done
    echo ok
}

total=$(($(wc -l < "$suite/cases.tsv") - 1))
echo "1..$total"
number=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
tail -n +2 "$suite/cases.tsv" | {
    while IFS="$(printf '\t')" read -r path profile verdict flag either rules; do
        number=$((number + 1))
        run_case "$suite/$path/manifest.jsonl" "$suite/$path/objects" "$profile" "$@" > "$out" 2>&1
        status=$?
        said=ok
        if [ "$verdict" = valid ] && [ "$status" -ne 0 ]; then said="rejected a valid manifest"; fi
        if [ "$verdict" = invalid ] && [ "$status" -eq 0 ]; then said="accepted it, missing $rules"; fi
        if [ "$said" = ok ] && [ "${CHECK_LINES:-yes}" != no ]; then
            lines=$(sed -e '/^[^:]*manifest\.jsonl:[0-9][0-9]*:[0-9:]* *warning/d' \
                -n -e 's/^[^:]*manifest\.jsonl:\([0-9][0-9]*\):.*/\1/p' "$out" |
                sort -n -u | paste -s -d , -)
            said=$(judge_lines "${lines:--}" "$flag" "$either")
        fi
        if [ "$said" = ok ]; then
            echo "ok $number - $path"
        else
            echo "not ok $number - $path: $said"
            failed=1
        fi
    done
    exit $failed
}
