#!/bin/sh
# A small manifest validator in POSIX sh, written from docs/rules.md: no line is blank,
# and every line has a source-ref that is an s3://BUCKET/KEY URI. It prints problems as
# FILE:LINE: message and exits 1 if it found any.
#
# It has a bug, planted for the docs' example of `synth check`: it never checks the
# bucket's name, so s3://My_Bucket/x.png passes.
#
#   synth check --no-objects --rules manifest.blank-line,source-ref.missing,source-ref.uri \
#       -- sh examples/check/validate.sh {manifest}
manifest=$1
number=0
status=0
while IFS= read -r line || [ -n "$line" ]; do
    number=$((number + 1))
    case $line in
        *[![:space:]]*) ;;
        *) echo "$manifest:$number: a blank line"; status=1; continue ;;
    esac
    uri=$(printf '%s\n' "$line" | sed -n 's/.*"source-ref" *: *"\([^"]*\)".*/\1/p')
    if [ -z "$uri" ]; then
        echo "$manifest:$number: no source-ref string"; status=1; continue
    fi
    case $uri in
        s3://*/?*) ;; # the bug: any bucket name passes
        *) echo "$manifest:$number: source-ref is not s3://BUCKET/KEY: $uri"; status=1 ;;
    esac
done < "$manifest"
exit $status
