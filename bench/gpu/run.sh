#!/usr/bin/env bash
# Our pipeline against diffusers/PyTorch on one GPU, same machine, same run: the full-size SANA-Sprint 0.6B architecture
# (transformer 28×1152, 7-block ControlNet, DC-AE f32c32) with random weights at 1024². Our side: the C# CLI
# (`bench` for per-stage frame times — sketch encode, each step, decode — of the 1-step text-to-image and 2-step
# ControlNet frames, CUDA graphs off and on; `bench-components` fp16 and fp32 with their inputs and outputs dumped;
# `bench-text` for the Gemma-2-2B prompt encode with --with-text). The reference: ../shared/gpu/ref_bench_gpu.py
# (diffusers bf16, CUDA events) and tools/reference-bench/cpu_side_by_side.py --parity-only (diffusers on our dumped
# inputs with our checkpoint's weights: parity and non-finite counts, bf16 and fp32). Results: JSON under $OUT.
#
#   bench/gpu/run.sh stage         on a machine with the .NET SDK: self-contained publish + ONNX Runtime GPU libs split
#                                  into parts under .gpu-stage/ort/ (../shared/gpu/stage_ort.sh), the reference files
#                                  under .gpu-stage/ref/; prints the commands that carry the parts, one each
#   bench/gpu/run.sh [--only PHASES] [--runs N] [--warmup N] [--size WxH] [--with-text]
#                                  on the GPU machine (phases: env,frames,components,ref,parity,text,summary)
#   bench/gpu/run.sh --dry-run     on a CPU: the C# side at 256², 1 run, fp32, CPU provider, end to end; the reference
#                                  benchmark is skipped (its dry-run needs a CPU torch with the reference shims)
#
# The app: $SANASPRINT_APP, else the reassembled /tmp/ort/ort/app/sanasprint, else the parts in /tmp/st (reassembled
# here), else this tree's Release build through `dotnet`. See bench/gpu/README.md for the command sequence.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared/gpu}

MODE=run DRY=0 ONLY="" RUNS=10 WARMUP=3 SIZE=1024x1024 WITH_TEXT=0
while [[ $# -gt 0 ]]; do
  case $1 in
    stage) MODE=stage ;;
    run) MODE=run ;;
    --dry-run) DRY=1 ;;
    --only) ONLY=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --with-text) WITH_TEXT=1 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# ---------------------------------------------------------------------------------------------------------------
# stage: on the machine with the SDK
# ---------------------------------------------------------------------------------------------------------------
if [[ $MODE == stage ]]; then
  exclude="$(git rev-parse --git-common-dir)/info/exclude"
  grep -qx '.gpu-stage/' "$exclude" 2>/dev/null || echo '.gpu-stage/' >> "$exclude"
  PUB=${PUB:-/tmp/sanasprint-publish}
  rm -rf "$PUB"
  dotnet publish src/SanaSprint.Cli -c Release -r linux-x64 --self-contained -p:PublishTrimmed=false -o "$PUB" -v q
  # The GPU package also drops its Windows natives into a linux-x64 publish (onnxruntime*.dll, ≈ 215 MB): not needed
  # here (the managed Microsoft.ML.OnnxRuntime.dll stays).
  rm -f "$PUB"/onnxruntime*.dll
  mkdir -p .gpu-stage/ref .gpu-stage/tools
  cp "$SHARED/ref_bench_gpu.py" "$SHARED/diffusers-src.tar.zst" "$SHARED/diffusers-src.commit" .gpu-stage/ref/
  cp -r "$SHARED/tools/." .gpu-stage/tools/
  bash "$SHARED/stage_ort.sh" "$PUB"
  n=$(cat .gpu-stage/ort/NPARTS)
  echo
  echo "Then, back to back (the machine keeps /tmp only while warm, about 30 s between commands):"
  for ((k = 0; k < n; k++)); do
    kk=$(printf '%02d' "$k")
    if ((k < n - 1)); then
      echo "  run carry [\".gpu-stage/ort/ort.tar.zst.part-$kk\"]: mkdir -p /tmp/st && cp .gpu-stage/ort/ort.tar.zst.part-$kk /tmp/st/"
    else
      echo "  run carry [\".gpu-stage/ort/ort.tar.zst.part-$kk\", \".gpu-stage/ort/SHA256SUMS\", \".gpu-stage/ref\", \".gpu-stage/tools\"]:"
      echo "      mkdir -p /tmp/st && cp .gpu-stage/ort/ort.tar.zst.part-$kk /tmp/st/ && bench/gpu/run.sh --only env,frames,components"
    fi
  done
  echo "  run carry [\".gpu-stage/ref\", \".gpu-stage/tools\"]: bench/gpu/run.sh --only ref,parity,summary"
  exit 0
fi

# ---------------------------------------------------------------------------------------------------------------
# run (GPU) or dry run (CPU)
# ---------------------------------------------------------------------------------------------------------------
# Results accumulate in $WORK/results across commands (the machine keeps /tmp while warm) and are copied to $OUT
# (the folder a device command returns) at the end of every invocation; the .npy dumps stay in $WORK.
WORK=${WORK:-/tmp/sanasprint-gpu-bench}
RES=$WORK/results
DEST=${OUT:-$RES}
mkdir -p "$RES" "$DEST"
if [[ $(realpath "$DEST") != $(realpath "$RES") ]]; then trap 'cp -r "$RES"/. "$DEST"/' EXIT; fi
OUT=$RES
if ((DRY)); then
  CACHE=${CACHE:-$HOME/.cache/sanasprint}  # the CLI's default: reuses the random checkpoint and graphs already built here
else
  CACHE=${CACHE:-$WORK/cache}
fi
mkdir -p "$CACHE"
DEVICE=cuda PRECISION=fp16 CG=(off on) COMPONENT_PRECISIONS=(fp16 fp32)
if ((DRY)); then
  DEVICE=cpu PRECISION=fp32 RUNS=1 WARMUP=0 SIZE=256x256 CG=(off) COMPONENT_PRECISIONS=(fp32)
fi
ONLY=${ONLY:-env,frames,components,ref,parity,summary}
if ((WITH_TEXT)); then ONLY="$ONLY,text"; fi
want() { [[ ",$ONLY," == *",$1,"* ]]; }
SKIPPED="$OUT/skipped.txt"
if want env; then : > "$SKIPPED"; else touch "$SKIPPED"; fi
skip() { echo "skipped: $1 — $2" | tee -a "$SKIPPED"; }
log() { echo "[$(date -u +%H:%M:%S)] $*"; }

ZSTD=$(command -v zstd || echo "$ROOT/.gpu-stage/tools/zstd")
PY=${PYTHON:-python3}

# The app (the ref, parity and summary phases run without one).
APP=()
if [[ -n ${SANASPRINT_APP:-} ]]; then
  APP=($SANASPRINT_APP)
elif [[ -x /tmp/ort/ort/app/sanasprint ]]; then
  APP=(/tmp/ort/ort/app/sanasprint)
elif compgen -G '/tmp/st/ort.tar.zst.part-*' >/dev/null && [[ -f .gpu-stage/ort/SHA256SUMS ]]; then
  log "reassembling the app from /tmp/st"
  cat /tmp/st/ort.tar.zst.part-* > /tmp/ort.tar.zst
  echo "$(cut -d' ' -f1 .gpu-stage/ort/SHA256SUMS)  /tmp/ort.tar.zst" | sha256sum -c -
  mkdir -p /tmp/ort && "$ZSTD" -dc /tmp/ort.tar.zst | tar -x -C /tmp/ort && rm -f /tmp/ort.tar.zst
  APP=(/tmp/ort/ort/app/sanasprint)
elif command -v dotnet >/dev/null; then
  dll=src/SanaSprint.Cli/bin/Release/net10.0/sanasprint.dll
  [[ -f $dll ]] || dotnet build src/SanaSprint.Cli -c Release -v q >/dev/null
  APP=(dotnet "$dll")
elif want env || want frames || want components || want text; then
  echo "error: no app: set SANASPRINT_APP, or carry the staged parts (bench/gpu/run.sh stage prints the commands)" >&2
  exit 2
fi

# CUDA 13 / cuDNN 9 from the machine's NVIDIA pip wheels, for the .NET process only (python3 finds its own).
NVLIBS=""
if ((!DRY)); then
  SP=$("$PY" -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null || true)
  if [[ -n $SP && -d $SP/nvidia ]]; then NVLIBS=$(find "$SP/nvidia" -name 'lib*.so*' -printf '%h\n' | sort -u | paste -sd:); fi
fi
ours() { LD_LIBRARY_PATH="${NVLIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "${APP[@]}" "$@"; }

FULL=$CACHE/fullsize-random
cat > "$OUT/settings_$(date -u +%H%M%S).json" <<EOF
{"dry_run": $DRY, "device": "$DEVICE", "precision": "$PRECISION", "size": "$SIZE", "runs": $RUNS, "warmup": $WARMUP,
 "phases": "$ONLY", "app": "${APP[*]}", "commit": "$(git rev-parse HEAD 2>/dev/null || echo unknown)",
 "started_utc": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
EOF
log "app: ${APP[*]}; device $DEVICE, $SIZE, $RUNS runs after $WARMUP warm-ups; phases $ONLY; results in $OUT"

if want env; then
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
  else
    skip "nvidia-smi" "no NVIDIA driver tools on this machine" ; echo "none" > "$OUT/gpu.txt"
  fi
  ours doctor --device "$DEVICE" > "$OUT/doctor.txt" 2>&1 || true
  log "doctor: $(grep -ciE 'probe|cuda' "$OUT/doctor.txt" || true) lines about CUDA (doctor.txt)"
fi

if want frames; then
  # 1-step text-to-image and 2-step ControlNet frames (a new stroke each run, so the sketch encode is measured).
  for cg in "${CG[@]}"; do
    flag=(); if [[ $cg == on ]]; then flag=(--cuda-graph); fi
    for spec in "text 1" "controlnet 2"; do
      set -- $spec
      name="frame_${1}_${2}step_graphs_${cg}"
      log "ours: $name"
      ours bench --random-full-size --cache "$CACHE" --device "$DEVICE" --precision "$PRECISION" --size "$SIZE" \
        --batch 1 --runs "$RUNS" --warmup "$WARMUP" --steps "$2" --mode "$1" "${flag[@]}" \
        > "$OUT/$name.md" 2> "$OUT/$name.log" || { echo "error: $name failed (see $OUT/$name.log)"; tail -5 "$OUT/$name.log"; }
      grep -E '^\| 1 \| (sketch|step|decode|total)' "$OUT/$name.md" || true
    done
  done
  if ((DRY)); then skip "CUDA graphs on" "CUDA graphs need the CUDA provider (dry run on the CPU)"; fi
fi

if want components; then
  # Each component alone at the frame size, its inputs and outputs dumped for the parity phase.
  for p in "${COMPONENT_PRECISIONS[@]}"; do
    log "ours: bench-components $p"
    rm -rf "$WORK/dump_$p"
    ours bench-components --checkpoint "$FULL/sana_sprint_0.6b_random" --controlnet "$FULL/sana_controlnet_0.6b_random" \
      --cache "$CACHE" --device "$DEVICE" --precision "$p" --size "$SIZE" --runs "$RUNS" --warmup "$WARMUP" \
      --preview-decoder none --json "$OUT/components_$p.json" --dump "$WORK/dump_$p" \
      > "$OUT/components_$p.md" 2> "$OUT/components_$p.log" || { echo "error: bench-components $p failed"; tail -5 "$OUT/components_$p.log"; }
    grep -E '^\| ' "$OUT/components_$p.md" || true
  done
fi

if want ref; then
  if ((DRY)); then
    skip "reference benchmark (ref_bench_gpu.py)" "its --dry-run needs a CPU torch with the reference shims from ../shared/golden, not available from ../shared/gpu; on the GPU it runs as is"
  else
    REF=.gpu-stage/ref; [[ -f $REF/ref_bench_gpu.py ]] || REF=$SHARED
    mkdir -p /tmp/d
    [[ -d /tmp/d/src/diffusers ]] || tar -I "$ZSTD" -xf "$REF/diffusers-src.tar.zst" -C /tmp/d
    log "reference: ref_bench_gpu.py (diffusers $(cat "$REF/diffusers-src.commit" 2>/dev/null), bf16)"
    PYTHONPATH=/tmp/d/src "$PY" "$REF/ref_bench_gpu.py" --out "$OUT/ref_gpu.json" > "$OUT/ref_gpu.log" 2>&1 \
      || { echo "error: the reference benchmark failed"; tail -20 "$OUT/ref_gpu.log"; }
    tail -30 "$OUT/ref_gpu.log"
  fi
fi

if want parity; then
  # diffusers on our dumped inputs with our checkpoint's weights: bf16 against our fp16 and fp32, fp32 against fp32.
  if ! "$PY" -c 'import torch, numpy' 2>/dev/null; then
    skip "parity" "no torch/numpy for $PY"
  else
    src=/tmp/d/src
    if [[ ! -d $src/diffusers ]]; then
      mkdir -p /tmp/d && tar -I "$ZSTD" -xf "$( [[ -f .gpu-stage/ref/diffusers-src.tar.zst ]] && echo .gpu-stage/ref || echo "$SHARED")/diffusers-src.tar.zst" -C /tmp/d
    fi
    pairs=("fp32 fp32"); if ((!DRY)); then pairs=("fp16 bf16" "fp32 bf16" "fp32 fp32"); fi
    for pair in "${pairs[@]}"; do
      set -- $pair
      if [[ ! -d $WORK/dump_$1 ]]; then skip "parity ours $1 vs reference $2" "no dump from the components phase"; continue; fi
      log "parity: ours $1 vs diffusers $2"
      "$PY" tools/reference-bench/cpu_side_by_side.py --parity-only --ours-dump "$WORK/dump_$1" --device "$DEVICE" \
        --dtype "$2" --diffusers-src "$src" --cache "$CACHE" --size "$SIZE" --threads "$(nproc)" \
        --out "$OUT/parity_ours-${1}_ref-${2}.json" 2>&1 | grep -vE '^\s*$' | tail -6 \
        || echo "error: parity ours $1 vs reference $2 failed"
    done
  fi
fi

if want text; then
  log "ours: bench-text (Gemma-2-2B architecture, random weights, 300 tokens)"
  ours bench-text --device "$DEVICE" --cache "$CACHE" --work "$WORK/text" > "$OUT/text.txt" 2> "$OUT/text.log" || echo "error: bench-text failed"
  tail -8 "$OUT/text.txt"
fi

if want summary; then
  "$PY" - "$OUT" <<'PYEOF'
import glob, json, os, re, sys
out = sys.argv[1]
res = {"settings": json.load(open(sorted(glob.glob(os.path.join(out, "settings_*.json")))[-1]))}
res["gpu"] = open(os.path.join(out, "gpu.txt")).read().strip() if os.path.exists(os.path.join(out, "gpu.txt")) else None
row = re.compile(r"^\| 1 \| (?P<stage>[^|]+?) \| (?P<median>[0-9.]+) \| (?P<p95>[0-9.]+) \|", re.M)
frames = {}
for f in sorted(glob.glob(os.path.join(out, "frame_*.md"))):
    text = open(f).read()
    stages = {m["stage"]: {"median_ms": float(m["median"]), "p95_ms": float(m["p95"])} for m in row.finditer(text)}
    log = f[:-3] + ".log"
    warnings = [l.strip() for l in open(log)] if os.path.exists(log) else []
    frames[os.path.basename(f)[:-3]] = {"stages": stages, "provider": (re.search(r"provider (\w+)", text) or [None, None])[1],
                                        "warnings": [w for w in warnings if w][:20]}
res["frames"] = frames
res["components"] = {os.path.basename(f)[11:-5]: json.load(open(f)) for f in sorted(glob.glob(os.path.join(out, "components_*.json")))}
res["parity"] = {os.path.basename(f)[7:-5]: json.load(open(f))["parity"] for f in sorted(glob.glob(os.path.join(out, "parity_*.json")))}
ref = os.path.join(out, "ref_gpu.json")
res["reference"] = json.load(open(ref)) if os.path.exists(ref) else None
res["skipped"] = list(dict.fromkeys(l.strip() for l in open(os.path.join(out, "skipped.txt")) if l.strip()))
targets = {"frame_controlnet_2step": 80.0, "frame_text_1step": 40.0}
checks = []
for name, fr in frames.items():
    total = fr["stages"].get("total (wall)", {}).get("median_ms")
    for prefix, limit in targets.items():
        if name.startswith(prefix) and total is not None:
            checks.append({"frame": name, "median_ms": total, "target_ms": limit, "met": total <= limit})
res["targets"] = checks
res["non_finite"] = {k: {o: v["non_finite"] for o, v in p.items()} for k, p in res["parity"].items()}
missing = [n for n in ("frame_text_1step_graphs_off", "frame_controlnet_2step_graphs_off") if n not in frames or not frames[n]["stages"]]
res["complete"] = not missing
json.dump(res, open(os.path.join(out, "results.json"), "w"), indent=2)
print(f"\n== summary ({'dry run, ' if res['settings']['dry_run'] else ''}{res['settings']['device']}, {res['settings']['size']}) ==")
for name, fr in frames.items():
    st = fr["stages"]
    cells = ", ".join(f"{k} {v['median_ms']:.1f}" for k, v in st.items() if not k.startswith("host") and not k.startswith("outside") and not k.startswith("GC"))
    print(f"{name} [{fr['provider']}]: {cells} ms")
for p, comp in res["components"].items():
    print(f"components {p}: " + ", ".join(f"{r['component']} {r['medianMs']:.1f}" for r in comp["rows"]) + " ms")
for k, p in res["parity"].items():
    print(f"parity {k}: " + ", ".join(f"{o} rel {v['rel']:.2e} (non-finite {v['non_finite']})" for o, v in p.items()))
for c in checks:
    verdict = "met" if c["met"] else "not met"
    if res["settings"]["dry_run"]:
        verdict += " (dry run: the targets are for the GPU at 1024²)"
    print(f"target {c['frame']}: {c['median_ms']:.1f} ms vs {c['target_ms']:.0f} ms -> {verdict}")
for s in res["skipped"]:
    print(s)
print("missing: " + ", ".join(missing) if missing else "every frame measured", f"-> {os.path.join(out, 'results.json')}")
PYEOF
fi
