#!/usr/bin/env bash
# Synthesizes the prompts (texts from sounds/prompts.yaml and the deployment config, listed
# by `ivrctl prompts manifest`) into sounds/gen/<path>.wav, 8 kHz mono 16-bit, with pico2wave
# and sox inside the project image. A prompt is rebuilt only when its text changed (the text
# is kept next to the audio as <path>.txt). Run by `make prompts` and by the controller on a
# configuration reload or a closure with a message.
set -euo pipefail
# prompts are public texts that Asterisk (its own user) reads: whoever runs this (the
# controller has umask 077 for its private files) makes them world-readable
umask 022
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bin/node-env.sh
. "$ROOT/bin/node-env.sh"
IMAGE="${IVR_IMAGE:-localhost/ivr-asterisk:22}"
OUT="$ROOT/sounds/gen"
# shellcheck source=docker/podman-env.sh
. "$ROOT/docker/podman-env.sh"

mkdir -p "$OUT"
JOB="$OUT/.job"
rm -rf "$JOB" && mkdir -p "$JOB"
n=0
while IFS=$'\t' read -r path lang text; do
  [ -n "$path" ] || continue
  if [ -f "$OUT/$path.wav" ] && [ -f "$OUT/$path.txt" ] && [ "$(cat "$OUT/$path.txt")" = "$text" ]; then continue; fi
  mkdir -p "$(dirname "$OUT/$path")"
  printf '%s' "$text" > "$OUT/$path.txt.new"
  voice=it-IT; [ "$lang" = en ] && voice=en-GB
  printf '%s\t%s\n' "$path" "$voice" >> "$JOB/list"
  n=$((n + 1))
done < <(node "$ROOT/dist/controller/cli/ivrctl.js" prompts manifest)

if [ "$n" -eq 0 ]; then echo "prompts up to date"; rm -rf "$JOB"; exit 0; fi
echo "synthesizing $n prompts"
podman run --rm "${PODMAN_RUN_FLAGS[@]}" -v "$OUT:/out" "$IMAGE" sh -euc '
  while IFS="	" read -r path voice; do
    pico2wave -l "$voice" -w /tmp/p.wav "$(cat "/out/$path.txt.new")"
    # renamed into place: a call playing the old prompt keeps it, the next one gets the new
    sox /tmp/p.wav -r 8000 -c 1 -b 16 "/out/$path.new.wav"
    mv "/out/$path.new.wav" "/out/$path.wav"
    mv "/out/$path.txt.new" "/out/$path.txt"
  done < /out/.job/list'
rm -rf "$JOB"
echo "prompts built in $OUT"
