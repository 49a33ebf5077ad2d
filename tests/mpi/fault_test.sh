#!/usr/bin/env bash
# MPI fault test: `mpirun -np NP mpi_fault_saver loop DIR` saves checkpoints collectively; one
# rank, chosen at random, is SIGKILLed at a random moment; the job must end within HANG_S seconds
# (Open MPI ends the other ranks) and then `mpi_fault_saver verify` (2 ranks: a resharding
# restore) must find the checkpoint the state file names complete, checksums and values exact,
# never older than before. KILLS times.
#   bash tests/mpi/fault_test.sh BIN KILLS DIR [NP]
set -euo pipefail
if [ "$#" -lt 3 ]; then echo "usage: $0 BIN KILLS DIR [NP]" >&2; exit 2; fi
BIN="$1"
KILLS="$2"
DIR="$3"
NP="${4:-3}"
HANG_S="${HANG_S:-30}"
MPIRUN=(mpirun --oversubscribe -np)
[ "$(id -u)" -eq 0 ] && MPIRUN=(mpirun --allow-run-as-root --oversubscribe -np)
rm -rf "$DIR"
mkdir -p "$DIR"
T0=$SECONDS
last=0 mid_save=0 between=0 empty=0 kept=0 late=0
for ((i = 1; i <= KILLS; i++)); do
  "${MPIRUN[@]}" "$NP" "$BIN" loop "$DIR" >"$DIR/mpirun.out" 2>&1 &
  job=$!
  # MPI start-up takes ~0.3-0.6 s here; kill 0.5-2.0 s after launch, mostly inside a save.
  sleep "$((RANDOM % 2 + 0)).$(printf '%03d' $((RANDOM % 1000)))"
  sleep 0.5
  ranks=($(pgrep -P "$job" || true))
  if [ "${#ranks[@]}" -lt "$NP" ]; then
    echo "kill $i: expected $NP rank processes under mpirun $job, found ${#ranks[@]}" >&2
    cat "$DIR/mpirun.out" >&2
    kill -KILL "$job" "${ranks[@]}" 2>/dev/null || true
    exit 1
  fi
  victim_idx=$((RANDOM % NP))
  victim="${ranks[$victim_idx]}"
  kill -KILL "$victim"
  # Bounded: the whole job must be gone within HANG_S seconds.
  t_kill=$SECONDS
  while kill -0 "$job" 2>/dev/null; do
    if [ $((SECONDS - t_kill)) -ge "$HANG_S" ]; then
      echo "kill $i: the job still runs ${HANG_S}s after SIGKILL of pid $victim: HANG" >&2
      kill -KILL "$job" "${ranks[@]}" 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
  done
  wait "$job" 2>/dev/null || true
  for p in "${ranks[@]}"; do
    # A zombie (state Z: dead, not yet reaped by whoever inherited it) does not count.
    st="$(ps -o stat= -p "$p" 2>/dev/null || true)"
    if [ -n "$st" ] && [ "${st:0:1}" != Z ]; then echo "kill $i: rank process $p survived the job" >&2; kill -KILL "$p"; exit 1; fi
  done
  # Was any rank inside a save ("b n" logged without "e n")?
  inside=0
  for f in "$DIR"/log.*; do
    [ -f "$f" ] && [ "$(tail -n 1 "$f" | cut -c1)" = "b" ] && inside=1
  done
  if [ "$inside" -eq 1 ]; then mid_save=$((mid_save + 1)); else between=$((between + 1)); fi
  if ! out="$(timeout "$((HANG_S * 2))" "${MPIRUN[@]}" 2 "$BIN" verify "$DIR" 2>&1)"; then
    echo "kill $i: verification FAILED: $out" >&2
    ls -la "$DIR" >&2
    exit 1
  fi
  out="$(printf '%s\n' "$out" | grep -E '^(ok [0-9]+|empty)$' | tail -n 1)"
  case "$out" in
    empty) empty=$((empty + 1)) ;;
    ok\ *) n="${out#ok }"
           if [ "$n" -lt "$last" ]; then echo "kill $i: the latest checkpoint went back from $last to $n" >&2; exit 1; fi
           last="$n" ;;
    *) echo "kill $i: unexpected verify output" >&2; exit 1 ;;
  esac
  # The victim's own log: killed inside save n, the latest must be n-1 (the previous checkpoint
  # stayed) or n (killed after the commit point: rank 0 had every rank's durable data).
  vlog="$(grep -l "^p $victim\$" "$DIR"/log.* 2>/dev/null | head -n 1 || true)"
  vlast="$([ -n "$vlog" ] && awk -v p="p $victim" '$0 == p { f = 1; next } f && /^[be] / { l = $0 } END { print l }' "$vlog" || true)"
  case "$vlast" in
    b\ *) v="${vlast#b }"
         if [ "${out#ok }" = "$((v - 1))" ] || { [ "$v" -eq 1 ] && [ "$out" = empty ]; }; then kept=$((kept + 1))
         elif [ "${out#ok }" = "$v" ]; then late=$((late + 1))
         else echo "kill $i: victim died in save $v but the latest is '$out'" >&2; exit 1; fi ;;
  esac
done
echo "mpi fault test passed: $KILLS SIGKILLs of one of $NP ranks ($mid_save with some rank inside a save," \
  "$between between saves, $empty before the first checkpoint); the victim itself was inside save n" \
  "$((kept + late)) times: previous checkpoint n-1 stayed the latest $kept times, n was published $late times" \
  "(killed past the commit point); the latest (ckpt-$last at the end) verified after every kill; no hang past" \
  "${HANG_S}s; $((SECONDS - T0))s"
