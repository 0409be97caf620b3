#!/usr/bin/env bash
# Full-size SANA-Sprint 0.6B architecture (random weights) at 1024² on a CUDA GPU: prints per-stage latency (median/p95),
# throughput per batch size, batched-vs-serial ratio and the share of each frame outside ONNX Runtime.
#
# Needs: an NVIDIA GPU with the CUDA 13 runtime libraries (libcudart/libcublas/libcublasLt 13, cuDNN 9) on the loader
# path — the Microsoft.ML.OnnxRuntime.Gpu 1.31.0 provider links against them — and either the .NET 10 SDK or a
# self-contained build made elsewhere:
#   dotnet publish src/SanaSprint.Cli -c Release -r linux-x64 --self-contained -o bench/gpu/out     (on a machine with the SDK)
# The random checkpoint (~1.8 GB) and the fp16 graphs are written once under $CACHE.
#
# Usage: bench/gpu/run.sh [extra bench options, e.g. --runs 50 --cuda-graph]
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${CACHE:-$PWD/bench/gpu/cache}"
SIZE="${SIZE:-1024x1024}"
BATCH="${BATCH:-1,2,4,8}"
RUNS="${RUNS:-20}"

if [[ -x bench/gpu/out/sanasprint ]]; then
  CLI=(bench/gpu/out/sanasprint)
elif command -v dotnet >/dev/null; then
  dotnet build src/SanaSprint.Cli/SanaSprint.Cli.csproj -c Release -o bench/gpu/out-build >/dev/null
  CLI=(dotnet bench/gpu/out-build/sanasprint.dll)
else
  echo "error: no bench/gpu/out/sanasprint and no dotnet on PATH (see the header of this script)" >&2
  exit 2
fi

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

echo "== text-to-image, fp16, IOBinding =="
"${CLI[@]}" bench --random-full-size --device cuda --precision fp16 --size "$SIZE" --batch "$BATCH" --runs "$RUNS" --steps 2 --cache "$CACHE" "$@"

echo "== text-to-image, 1 step =="
"${CLI[@]}" bench --random-full-size --device cuda --precision fp16 --size "$SIZE" --batch 1 --runs "$RUNS" --steps 1 --cache "$CACHE" "$@"

echo "== ControlNet (sketch → scribble → DC-AE encoder → 7-block ControlNet every step) =="
"${CLI[@]}" bench --random-full-size --device cuda --precision fp16 --size "$SIZE" --batch 1,4 --runs "$RUNS" --steps 2 --mode controlnet --cache "$CACHE" "$@"

echo "== fp32 with TF32 (reference precision) =="
"${CLI[@]}" bench --random-full-size --device cuda --precision fp32 --size "$SIZE" --batch 1 --runs "$RUNS" --steps 2 --cache "$CACHE" "$@"
