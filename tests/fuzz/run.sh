#!/bin/sh
# Runs the fuzz targets built in build/ (see Makefile and docs/reliability.md).
#
#   run.sh fuzz TARGET...      fuzz each target FUZZ_SECONDS seconds from a
#                              scratch copy of corpus/TARGET/
#   run.sh regress TARGET...   run corpus/TARGET/ and each crashes/TARGET-* once
#                              (reproducers of fixed bugs: they must pass)
#
# Environment: FUZZ_SECONDS (60), FUZZ_UPDATE_CORPUS (1: merge new inputs
# into corpus/TARGET/), FUZZ_ARGS (extra libFuzzer flags).
# Exits non-zero if any target crashed or violated an invariant.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD="$HERE/build"
mode=$1
shift

max_len() {
	case $1 in
	record) echo 1024 ;;
	*) echo 8192 ;;
	esac
}

failed=""
summary=""
for t in "$@"; do
	bin="$BUILD/fuzz_$t"
	corpus="$HERE/corpus/$t"
	log="$BUILD/fuzz_$t.log"
	if [ ! -x "$bin" ]; then
		echo "missing $bin: run make first" >&2
		exit 2
	fi
	case $mode in
	fuzz)
		work="$BUILD/work/$t"
		rm -rf "$work"
		mkdir -p "$work" "$BUILD/artifacts"
		cp "$corpus"/* "$work"/ 2>/dev/null
		case $t in
		record) dict="-dict=$HERE/record.dict" ;;
		*) dict="-dict=$HERE/dns.dict" ;;
		esac
		echo "== fuzz_$t: ${FUZZ_SECONDS:-60} s from $(ls "$work" | wc -l) seeds (log: $log)"
		# shellcheck disable=SC2086
		"$bin" -max_total_time="${FUZZ_SECONDS:-60}" -print_final_stats=1 \
			-timeout=25 -rss_limit_mb=2048 -max_len="$(max_len "$t")" $dict \
			-artifact_prefix="$BUILD/artifacts/$t-" ${FUZZ_ARGS:-} \
			"$work" >"$log" 2>&1
		rc=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, ft \2, corpus \3/p')
		line="fuzz_$t: ${execs:-?} executions, ${cov:-no stats}, exit $rc"
		if [ $rc -ne 0 ]; then
			grep -E "invariant violated|ERROR: |SUMMARY: |runtime error|Test unit written" "$log" | head -n 8
			failed="$failed $t"
		elif [ "${FUZZ_UPDATE_CORPUS:-}" = 1 ]; then
			"$bin" -merge=1 -max_len="$(max_len "$t")" "$corpus" "$work" >>"$log" 2>&1
			line="$line, corpus/$t now $(ls "$corpus" | wc -l) files"
		fi
		;;
	regress)
		echo "== fuzz_$t: corpus/$t once (log: $log)"
		# shellcheck disable=SC2086
		"$bin" $(ls "$corpus"/* 2>/dev/null) >"$log" 2>&1
		rc=$?
		line="fuzz_$t: corpus exit $rc"
		if [ $rc -ne 0 ]; then
			grep -E "invariant violated|ERROR: |SUMMARY: |runtime error|Running: " "$log" | tail -n 6
			failed="$failed $t"
		fi
		for f in "$HERE"/crashes/"$t"-*; do
			[ -f "$f" ] || continue
			"$bin" "$f" >>"$log" 2>&1
			frc=$?
			line="$line
fuzz_$t: crashes/$(basename "$f") exit $frc"
			if [ $frc -ne 0 ]; then
				grep -A1 -E "invariant violated|ERROR: AddressSanitizer|runtime error" "$log" | tail -n 2
				failed="$failed $t:$(basename "$f")"
			fi
		done
		;;
	*)
		echo "usage: $0 fuzz|regress TARGET..." >&2
		exit 2
		;;
	esac
	echo "$line"
	summary="$summary$line
"
done

printf '\n%s' "$summary"
if [ -n "$failed" ]; then
	echo "FAILED:$failed"
	exit 1
fi
echo "all targets passed"
