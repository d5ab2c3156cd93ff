#!/bin/sh
# The worked examples of docs/check.md and docs/suite.md, run by `make docs` (docs/generate.py
# runs each page's generated blocks with this checkout's synth on PATH). Each prints a
# fenced block of markdown:
#   example.sh validator   the example validator, examples/check/validate.sh
#   example.sh check       the report `synth check` gives it
#   example.sh suite       a case of `synth suite`, and examples/suite/run.sh over a sample
# The report's run time is the one thing left out (it varies from run to run).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fence='~~~'  # not backticks: docs/generate.py takes a backtick fence for an example, not output

case ${1:-} in
validator)
    echo "${fence}sh"
    cat "$here/validate.sh"
    echo "$fence"
    ;;
check)
    cd "$work"
    cp "$here/validate.sh" .
    set +e
    synth check --no-objects --rules manifest.blank-line,source-ref.missing,source-ref.uri \
        --cases 20 --seed 1 -- sh validate.sh {manifest} > report.txt
    status=$?
    set -e
    [ "$status" -eq 1 ] && [ "$(tail -1 report.txt)" = FAILED ] || {
        echo "synth check exited $status, not 1 with its report" >&2
        exit 1
    }
    echo "${fence}console"
    echo '$ synth check --no-objects --rules manifest.blank-line,source-ref.missing,source-ref.uri \'
    echo '      --cases 20 --seed 1 -- sh validate.sh {manifest}'
    sed -e 's/ cases in [0-9.]* s (seed/ cases (seed/' report.txt
    echo '$ echo $?'
    echo "$status"
    echo '$ ls synth-check/source-ref.uri.missed'
    ls synth-check/source-ref.uri.missed
    echo '$ cat synth-check/source-ref.uri.missed/manifest.jsonl'
    cat synth-check/source-ref.uri.missed/manifest.jsonl
    echo "$fence"
    ;;
suite)
    cd "$work"
    synth suite --out suite > /dev/null
    echo "${fence}console"
    echo '$ synth suite --out suite'
    echo '$ head -4 suite/cases.tsv'
    head -4 suite/cases.tsv
    echo '$ find suite/cases/segmentation/synth/duplicate-image -type f | sort'
    find suite/cases/segmentation/synth/duplicate-image -type f | sort
    echo '$ cat suite/cases/segmentation/synth/duplicate-image/expected.json'
    cat suite/cases/segmentation/synth/duplicate-image/expected.json
    echo "$fence"
    ;;
*)
    echo "usage: example.sh validator|check|suite" >&2
    exit 2
    ;;
esac
