#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer,address) into $SCRATCH and runs each for $SECONDS.
# Each target is one module: the sources of the module it fuzzes plus its harness, so it reaches internal API
# without a test build of the package. A crash keeps its input under Fuzz/crashes/ and fails the run.
# Usage: Fuzz/build-and-run.sh [SECONDS] [TARGET...]   (SCRATCH defaults to .build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
SCRATCH=${SCRATCH:-.build-fuzz}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(http-parser json-parser frame-decoder peer-messages)
export SWIFT_BACKTRACE=enable=no
mkdir -p "$SCRATCH/obj" Fuzz/crashes
FLAGS=(-O -parse-as-library -sanitize=fuzzer,address -swift-version 6)

build() { # name, sources...
    local name=$1; shift
    local out="$SCRATCH/$name"
    local newest; newest=$(ls -t "$@" | head -1)
    if [ -x "$out" ] && [ "$out" -nt "$newest" ]; then return; fi
    echo "building $name"
    swiftc "${FLAGS[@]}" -module-name "Fuzz_${name//-/_}" "$@" "${EXTRA[@]}" -o "$out" 2>&1 \
        | grep -v "ld.gold: warning: Cannot export local symbol" || true
    [ -x "$out" ] && [ "$out" -nt "$newest" ] || { echo "build of $name failed" >&2; exit 1; }
}

for t in "${TARGETS[@]}"; do
    EXTRA=()
    case $t in
    http-parser) build "$t" Sources/HTTPCore/*.swift Fuzz/Splits.swift Fuzz/http-parser/*.swift ;;
    json-parser) build "$t" Sources/DataDistModel/*/*.swift Fuzz/Splits.swift Fuzz/json-parser/*.swift ;;
    peer-messages) build "$t" Sources/DataDistModel/*/*.swift Fuzz/Splits.swift Fuzz/peer-messages/*.swift ;;
    frame-decoder)
        # CChecksum is C: compile it with the same instrumentation and hand Swift a module map for it.
        objs=()
        for c in Sources/CChecksum/*.c; do
            o="$SCRATCH/obj/$(basename "$c" .c).o"
            clang -O2 -fsanitize=fuzzer-no-link,address -ISources/CChecksum/include -c "$c" -o "$o"
            objs+=("$o")
        done
        printf 'module CChecksum {\n  header "%s"\n  export *\n}\n' "$PWD/Sources/CChecksum/include/cchecksum.h" \
            >"$SCRATCH/obj/module.modulemap"
        EXTRA=(-Xcc "-fmodule-map-file=$SCRATCH/obj/module.modulemap" "${objs[@]}")
        build "$t" Sources/KVFraming/*.swift Fuzz/Splits.swift Fuzz/frame-decoder/*.swift
        ;;
    *) echo "unknown fuzz target $t" >&2; exit 2 ;;
    esac
done

status=0
for t in "${TARGETS[@]}"; do
    corpus="$SCRATCH/corpus/$t"
    mkdir -p "$corpus"
    cp -n Fuzz/$t/seeds/* "$corpus/" 2>/dev/null || true
    log="$SCRATCH/$t.log"
    echo "fuzzing $t for ${SECONDS_EACH}s"
    if "$SCRATCH/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -artifact_prefix="Fuzz/crashes/$t-" -print_final_stats=1 "$corpus" >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        echo "  $t: ok, $runs executions in ${SECONDS_EACH}s ($((${runs:-0} / SECONDS_EACH))/s)"
    else
        echo "  $t: FAILED — input kept under Fuzz/crashes/, log $log" >&2
        grep -E "ERROR|Fatal error|SUMMARY|Test unit written" "$log" >&2 || tail -20 "$log" >&2
        status=1
    fi
done
exit $status
