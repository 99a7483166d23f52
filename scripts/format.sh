#!/usr/bin/env bash
# Formats the Swift sources with swift-format and the repository's .swift-format (Hummingbird's
# style, 140 columns), or checks them.
#
#   scripts/format.sh          format Package.swift, Sources, Tests, Fuzz and Benchmarks in place
#   scripts/format.sh --lint   change nothing; list every difference and rule finding, exit 1 if any
#
# Uses `swift format` from the installed toolchain (Swift 6 ships swift-format), so no package
# needs fetching. Extra arguments are passed to swift-format (e.g. a narrower set of paths after
# `--`: scripts/format.sh --lint -- Sources/Core).
set -euo pipefail

cd "$(dirname "$0")/.."

mode=format
if [ "${1:-}" = "--lint" ]; then
    mode=lint
    shift
fi
if [ "${1:-}" = "--" ]; then
    shift
fi

paths=("$@")
if [ ${#paths[@]} -eq 0 ]; then
    # Benchmarks/ is a package of its own; its .build folder is left out.
    paths=(Package.swift Sources Tests)
    [ -d Fuzz ] && paths+=(Fuzz)
    [ -d Benchmarks/Sources ] && paths+=(Benchmarks/Package.swift Benchmarks/Sources)
fi

if ! swift format --version >/dev/null 2>&1; then
    echo "error: 'swift format' is not available; it comes with the Swift 6 toolchain" >&2
    exit 2
fi

if [ "$mode" = lint ]; then
    exec swift format lint --strict --parallel --recursive --configuration .swift-format "${paths[@]}"
else
    exec swift format format --in-place --parallel --recursive --configuration .swift-format "${paths[@]}"
fi
