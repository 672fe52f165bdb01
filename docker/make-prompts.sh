#!/usr/bin/env bash
# Builds the prompts (texts from sounds/prompts.yaml and the deployment config, listed by
# `ivrctl prompts manifest`) into sounds/gen/<path>.wav (IVR_SOUNDS_DIR), 8 kHz mono 16-bit,
# inside the project image: synthesized with pico2wave, or converted with sox from the
# recorded WAV the config gives for it (recordings; any rate, any channels). A prompt is
# rebuilt only when its source changed: the text, or the recording's SHA-256, is kept next to
# the audio as <path>.txt. Run by `make prompts` and by the controller on a configuration
# reload or a closure with a message.
set -euo pipefail
# prompts are public texts that Asterisk (its own user) reads: whoever runs this (the
# controller has umask 077 for its private files) makes them world-readable
umask 022
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bin/node-env.sh
. "$ROOT/bin/node-env.sh"
IMAGE="${IVR_IMAGE:-localhost/ivr-asterisk:22}"
OUT="${IVR_SOUNDS_DIR:-$ROOT/sounds/gen}"
# shellcheck source=docker/podman-env.sh
. "$ROOT/docker/podman-env.sh"

mkdir -p "$OUT"
JOB="$OUT/.job"
rm -rf "$JOB" && mkdir -p "$JOB"
n=0
manifest="$JOB/manifest"
node "$ROOT/dist/controller/cli/ivrctl.js" prompts manifest > "$manifest"
while IFS=$'\t' read -r path lang text recording; do
  [ -n "$path" ] || continue
  key="$text"
  if [ -n "$recording" ]; then
    [ -r "$recording" ] || { echo "make-prompts: the recording of $path ($recording) cannot be read" >&2; exit 1; }
    key="recorded:$(sha256sum "$recording" | cut -d' ' -f1)"
  fi
  if [ -f "$OUT/$path.wav" ] && [ -f "$OUT/$path.txt" ] && [ "$(cat "$OUT/$path.txt")" = "$key" ]; then continue; fi
  mkdir -p "$(dirname "$OUT/$path")"
  printf '%s' "$key" > "$OUT/$path.txt.new"
  if [ -n "$recording" ]; then
    # the container sees the job dir only: the recording goes there
    cp "$recording" "$JOB/rec-$n.wav"
    voice="rec:rec-$n.wav"
  else
    case "$lang" in
      it) voice=it-IT ;; en) voice=en-GB ;; de) voice=de-DE ;; fr) voice=fr-FR ;;
      *) echo "make-prompts: $path: no voice for language '$lang'" >&2; exit 1 ;;
    esac
  fi
  printf '%s\t%s\n' "$path" "$voice" >> "$JOB/list"
  n=$((n + 1))
done < "$manifest"

if [ "$n" -eq 0 ]; then echo "prompts up to date"; rm -rf "$JOB"; exit 0; fi
echo "building $n prompts"
podman run --rm "${PODMAN_RUN_FLAGS[@]}" -v "$OUT:/out" "$IMAGE" sh -euc '
  while IFS="	" read -r path voice; do
    case "$voice" in
      rec:*) src="/out/.job/${voice#rec:}" ;;
      *) pico2wave -l "$voice" -w /tmp/p.wav "$(cat "/out/$path.txt.new")"; src=/tmp/p.wav ;;
    esac
    # renamed into place: a call playing the old prompt keeps it, the next one gets the new
    sox "$src" -r 8000 -c 1 -b 16 "/out/$path.new.wav" || { echo "make-prompts: $path: sox cannot convert its source" >&2; exit 1; }
    mv "/out/$path.new.wav" "/out/$path.wav"
    mv "/out/$path.txt.new" "/out/$path.txt"
  done < /out/.job/list'
rm -rf "$JOB"
echo "prompts built in $OUT"
