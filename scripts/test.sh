#!/usr/bin/env bash
# scripts/test.sh — set up (packages, models, demo photos: scripts/setup.sh), then build and run
# the test suites in several configurations, each in its own build dir (kept and reused):
#
#   name    build dir            compiler  options                                   suites
#   gcc     build-test-gcc       gcc       debugoptimized                            all
#   asan    build-test-asan      gcc       + -Db_sanitize=address,undefined          all but scripts
#   clang   build-test-clang     clang     debugoptimized                            unit
#   nosimd  build-test-nosimd    gcc       + -Dsimd=disabled -Ddisplay=disabled      unit, model
#
# Then one configuration per script tests/ci/NAME.sh (tsan, fuzz, aarch64, ...): the script builds in
# its own build dir and prints a last line "N passed, N failed", which is added to the totals.
#
# Suites that have no tests yet are left out. Prints each configuration's meson summary, then
# one line per configuration and a last line "N passed, N failed" (N counts test programs over
# all configurations; a configuration that fails to build counts as one failure). Exit status
# is non-zero when anything failed.
#
# usage: scripts/test.sh [--only NAME]... [SETUP-OPTION...]
#   --only NAME   run only that configuration (repeatable), e.g. --only gcc for a quick check
#   --mirror DIR, --demo-mirror DIR, --offline, --no-apt: passed to scripts/setup.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SC_ROOT"

t_start=$SECONDS
only=()
setup_args=(--no-build)
while (($#)); do
    case $1 in
        --only) only+=("${2:?--only needs a configuration name}"); shift 2 ;;
        --mirror|--demo-mirror) setup_args+=("$1" "${2:?$1 needs a directory}"); shift 2 ;;
        --offline|--no-apt) setup_args+=("$1"); shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) sc_die "test.sh: unknown argument '$1' (try --help)" ;;
    esac
done

# name | CC | suites ("*" = all, "*-X" = all but X, else a comma list) | meson options | timeout multiplier
configs=(
    "gcc|gcc|*|-Dbuildtype=debugoptimized|1"
    "asan|gcc|*-scripts|-Dbuildtype=debugoptimized -Db_sanitize=address,undefined|3"
    "clang|clang|unit|-Dbuildtype=debugoptimized|1"
    "nosimd|gcc|unit,model|-Dbuildtype=debugoptimized -Dsimd=disabled -Ddisplay=disabled|1"
)
# Script configurations, one per tests/ci/NAME.sh: NAME | "script" | path | - | -
for s in tests/ci/*.sh; do
    [[ -f $s ]] && configs+=("$(basename "$s" .sh)|script|$s||1")
done

for n in "${only[@]}"; do
    printf '%s\n' "${configs[@]}" | grep -q "^$n|" || sc_die "test.sh: no configuration named '$n' (gcc, asan, clang, nosimd)"
done

./scripts/setup.sh "${setup_args[@]}"
t_setup=$((SECONDS - t_start))

total_pass=0 total_fail=0 total_skip=0
summary=()
failures=()   # what failed, repeated after the summary (CI shows a run's tail)

# run_config NAME CC SUITES OPTIONS MULT: build and test one configuration, add to the totals.
run_config() {
    local name=$1 cc=$2 suites=$3 opts=$4 mult=$5 dir=build-test-$1 t0=$SECONDS
    local args=() present=() s rc=0 log pass fail skip
    echo
    echo "======== $name: CC=$cc $opts; suites: $suites"
    # shellcheck disable=SC2086  # opts is a list of options
    if ! CC=$cc sc_meson_configure "$dir" $opts || ! ninja -C "$dir"; then
        echo "$name: BUILD FAILED"
        failures+=("$name: build failed")
        total_fail=$((total_fail + 1))
        summary+=("$(printf '%-7s build failed (%d s)' "$name" $((SECONDS - t0)))")
        return
    fi
    mapfile -t present < <(meson test -C "$dir" --no-rebuild --list 2>/dev/null |
        sed -n 's|^[^:]*:\([^ ]*\) / .*|\1|p' | tr '+' '\n' | sort -u)
    case $suites in
        '*') ;;
        '*-'*) args+=(--no-suite "${suites#\*-}") ;;
        *)
            for s in ${suites//,/ }; do
                if printf '%s\n' "${present[@]}" | grep -qx -- "$s"; then
                    args+=(--suite "$s")
                else
                    echo "($name: suite '$s' has no tests yet)"
                fi
            done
            if ((${#args[@]} == 0)); then
                summary+=("$(printf '%-7s no tests in %s yet' "$name" "$suites")")
                return
            fi
            ;;
    esac
    log=$dir/meson-logs/testlog.json
    rm -f -- "$log"
    meson test -C "$dir" --no-rebuild --print-errorlogs --timeout-multiplier "$mult" "${args[@]}" || rc=$?
    pass=0 fail=0 skip=0
    if [[ -f $log ]]; then
        pass=$(grep -cE '"result": "(OK|EXPECTEDFAIL)"' "$log" || true)
        skip=$(grep -c '"result": "SKIP"' "$log" || true)
        fail=$(grep -cvE '"result": "(OK|EXPECTEDFAIL|SKIP)"' "$log" || true)
        while IFS= read -r s; do failures+=("$name: $s"); done < <(grep -vE '"result": "(OK|EXPECTEDFAIL|SKIP)"' "$log" |
            sed -n 's/.*"name": "\([^"]*\)".*"result": "\([^"]*\)".*/\1 \2 (log: meson-logs\/testlog.txt)/p')
    fi
    if ((rc != 0 && fail == 0)); then
        echo "$name: meson test exited with $rc"
        fail=1
    fi
    total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail)) total_skip=$((total_skip + skip))
    summary+=("$(printf '%-7s %d ok, %d failed, %d skipped (%d s)' "$name" "$pass" "$fail" "$skip" $((SECONDS - t0)))")
}

# run_script NAME PATH: run a script configuration; its last "N passed, N failed" line is counted
# (no such line, or a non-zero exit with no failure counted, is one failure).
run_script() {
    local name=$1 path=$2 t0=$SECONDS rc=0 out=build-test-$1.log pass=0 fail=0 line
    echo
    echo "======== $name: $path"
    bash "$path" 2>&1 | tee "$out" || rc=${PIPESTATUS[0]}
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1 || true)
    if [[ -n $line ]]; then
        read -r pass _ fail _ <<<"$line"
    fi
    if [[ -z $line ]] || ((rc != 0 && fail == 0)); then
        echo "$name: $path exited with $rc${line:+ after '$line'}"
        fail=$((fail + 1))
    fi
    if ((fail > 0)); then   # the script's own failure lines (at most 20)
        while IFS= read -r s; do failures+=("$name: $s"); done < <(grep -E 'FAIL|^not ok|^ERROR|SUMMARY: ' "$out" | head -20)
        failures+=("$name: whole output in $out")
    fi
    total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
    summary+=("$(printf '%-7s %d ok, %d failed (%d s)' "$name" "$pass" "$fail" $((SECONDS - t0)))")
}

for c in "${configs[@]}"; do
    IFS='|' read -r name cc suites opts mult <<<"$c"
    if ((${#only[@]})) && ! printf '%s\n' "${only[@]}" | grep -qx -- "$name"; then
        continue
    fi
    if [[ $cc == script ]]; then
        run_script "$name" "$suites"
    else
        run_config "$name" "$cc" "$suites" "$opts" "$mult"
    fi
done

if ((${#failures[@]})); then
    echo
    echo "======== failures"
    printf '%s\n' "${failures[@]}"
fi
echo
echo "======== summary (set-up ${t_setup} s, total $((SECONDS - t_start)) s)"
printf '%s\n' "${summary[@]}"
((total_skip == 0)) || echo "($total_skip skipped)"
echo "$total_pass passed, $total_fail failed"
((total_fail == 0))
