#!/usr/bin/python3
"""Our ONNX graphs against diffusers/PyTorch on the CPU: same checkpoint folders, same inputs, same machine, same run.

    nice -n 5 /usr/bin/python3 tools/reference-bench/cpu_side_by_side.py --size 256x256 --rounds 4 --out side_by_side.json

Per component — ControlNet step, transformer step (fed the ControlNet's residuals), DC-AE encode, DC-AE decode —
both sides time the same call, batch 1, fp32, on 2 threads. Our side is ``sanasprint bench-components`` (one process
per round, ``--json`` for the times, ``--dump`` for its inputs and outputs as .npy files); the reference side is
diffusers' ``SanaControlNetModel``, ``SanaTransformer2DModel`` and ``AutoencoderDC`` (diffusers commit
58eb52c0803ea9af3abec60841c2a093bdf1f951, ``src/diffusers/models/...``) built from the same config.json and loaded
with the same safetensors weights (bf16 upcast to fp32 exactly, as our graph builder does), called on the inputs our
side dumped. The two sides alternate in rounds (the order flips every round, as the machine is shared and its load
drifts); each round contributes the median of its measured calls, and the table reports the median over rounds and
the ratio ours / PyTorch. Parity: max |ours − PyTorch| and that over max |PyTorch| per output, on identical inputs.

``--baseline-cli`` adds a second build of our CLI (e.g. an older commit's Release build, which needs only
``bench-components --json``) to every round, so a graph change is measured before and after in one run.
Runs with PyTorch 1.13 through ``diffusers_shim``; ``--check-golden`` first holds the shimmed diffusers to the golden
reference tensors (``../shared/golden``) and stops if it misses 1e-4.

``--parity-only --device cuda --dtype bf16`` (the GPU script, ``bench/gpu/run.sh``) skips the timing: one dumped call
of ours on that device, the reference on the same inputs in that precision, parity and non-finite counts.
"""
import contextlib
import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
COMPONENTS = ("controlnet", "transformer", "dcae_encode", "dcae_decode")
LABELS = {"controlnet": "ControlNet step", "transformer": "transformer step (+ ControlNet residuals)",
          "dcae_encode": "DC-AE encode", "dcae_decode": "DC-AE decode"}


def component_key(row_name):
    """Our bench-components row name -> component key (None for rows with no counterpart here)."""
    if row_name.startswith("ControlNet"):
        return "controlnet"
    if row_name.startswith("transformer step"):
        return "transformer"
    return {"DC-AE encode": "dcae_encode", "DC-AE decode": "dcae_decode"}.get(row_name)


def read_safetensors(path):
    """Every tensor of a safetensors file as float32 (BF16 and F16 upcast exactly): 8-byte header length, JSON header,
    raw little-endian data (the format as huggingface/safetensors documents it)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        s, e = v["data_offsets"]
        raw, dt = data[s:e], v["dtype"]
        if dt == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        elif dt in ("F32", "F16"):
            a = np.frombuffer(raw, {"F32": "<f4", "F16": "<f2"}[dt]).astype(np.float32)
        else:
            a = np.frombuffer(raw, {"I64": "<i8"}[dt])
        out[name] = torch.from_numpy(a.reshape(v["shape"]).copy())
    del data
    return out


@contextlib.contextmanager
def _no_random_init():
    """Skips torch.nn.init during construction: every parameter is then overwritten by a strict load_state_dict."""
    names = [n for n in dir(torch.nn.init) if n.endswith("_") and not n.startswith("_")]
    saved = {n: getattr(torch.nn.init, n) for n in names}
    try:
        for n in names:
            setattr(torch.nn.init, n, lambda tensor, *a, **k: tensor)
        yield
    finally:
        for n, f in saved.items():
            setattr(torch.nn.init, n, f)


def load_component(cls, folder):
    """cls.from_config(folder/config.json) with the folder's weights, strict, eval, fp32."""
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    # Our loader reads a one-element per-stage list as "every stage" (AutoencoderDCConfig.PerStage); diffusers takes
    # a string for that.
    for key in ("decoder_norm_types", "decoder_act_fns"):
        if isinstance(config.get(key), list) and len(config[key]) == 1:
            config[key] = config[key][0]
    with _no_random_init():
        model = cls.from_config(config)
    state = read_safetensors(os.path.join(folder, "diffusion_pytorch_model.safetensors"))
    model.load_state_dict(state, strict=True)
    del state
    return model.float().eval()


def import_diffusers(src):
    sys.path.insert(0, HERE)
    import diffusers_shim
    diffusers_shim.install()
    if src:
        sys.path.insert(0, src)
    import diffusers
    return diffusers


def ensure_diffusers_src(path):
    """diffusers' src/ folder: the given one, or ../shared/gpu/diffusers-src.tar.zst unpacked once under /tmp."""
    if path:
        return path
    target = "/tmp/reference-bench-diffusers"
    if not os.path.isdir(os.path.join(target, "src", "diffusers")):
        archive = os.path.join(REPO, "..", "shared", "gpu", "diffusers-src.tar.zst")
        zstd = subprocess.run(["sh", "-c", "command -v zstd"], capture_output=True, text=True).stdout.strip() \
            or os.path.join(REPO, "..", "shared", "gpu", "tools", "zstd")
        os.makedirs(target, exist_ok=True)
        subprocess.run(["tar", "-I", zstd, "-xf", archive, "-C", target], check=True)
    return os.path.join(target, "src")


def check_golden(diffusers, root):
    """The shimmed diffusers on the golden cases (max |diff| / max |ref|); returns {case: error}."""
    import importlib
    sys.path.insert(0, os.path.join(REPO, "tools", "demo-checkpoint"))
    export = importlib.import_module("sana_tiny.export")
    results = {}
    with torch.inference_mode():
        def rel(a, b):
            return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))

        d = os.path.join(root, "transformer_sprint_tiny")
        g = export.load_safetensors_any(os.path.join(d, "golden.safetensors"))
        m = load_component(diffusers.SanaTransformer2DModel, d)
        out = m(g["in.hidden_states"], g["in.encoder_hidden_states"], timestep=g["in.timestep"], guidance=g["in.guidance"],
                encoder_attention_mask=g["in.encoder_attention_mask"]).sample
        results["transformer_sprint_tiny"] = rel(out, g["out.sample"])

        d = os.path.join(root, "controlnet_tiny")
        g = export.load_safetensors_any(os.path.join(d, "golden.safetensors"))
        m = load_component(diffusers.SanaControlNetModel, d)
        blocks = m(g["in.hidden_states"], g["in.encoder_hidden_states"], g["in.timestep"], g["in.controlnet_cond"],
                   conditioning_scale=float(g["in.conditioning_scale"][0]),
                   encoder_attention_mask=g["in.encoder_attention_mask"]).controlnet_block_samples
        results["controlnet_tiny"] = max(rel(b, g[f"out.block_{i}"]) for i, b in enumerate(blocks))

        for case, call in (("dcae_encoder_tiny", lambda v, g: (v.encode(g["in.x"]).latent, g["out.latent"])),
                           ("dcae_decoder_tiny", lambda v, g: (v.decode(g["in.z"]).sample, g["out.sample"]))):
            d = os.path.join(root, case)
            g = export.load_safetensors_any(os.path.join(d, "golden.safetensors"))
            got, ref = call(load_component(diffusers.AutoencoderDC, d), g)
            results[case] = rel(got, ref)
    return results


def run_ours(cli, args, dump=None):
    """One bench-components process; returns ({component: [median ms]}, the JSON result)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        json_path = f.name
    cmd = shlex.split(cli) + ["bench-components", "--checkpoint", args.checkpoint, "--controlnet", args.controlnet,
                              "--size", args.size, "--runs", str(args.runs), "--warmup", str(args.warmup),
                              "--threads", str(args.threads), "--device", args.device, "--preview-decoder", "none",
                              "--json", json_path]
    if args.cache:
        cmd += ["--cache", args.cache]
    if dump:
        cmd += ["--dump", dump]
    started = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"our side failed ({' '.join(cmd)}):\n{proc.stdout}\n{proc.stderr}")
    with open(json_path) as f:
        result = json.load(f)
    os.unlink(json_path)
    times = {component_key(r["component"]): r["medianMs"] for r in result["rows"] if component_key(r["component"])}
    return times, result, time.time() - started


class Reference:
    """The diffusers components on our dumped inputs."""

    def __init__(self, diffusers, args, inputs):
        self.device = torch.device(args.device)
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[args.dtype]
        self.inputs = {k: (tuple(t.to(self.device, dtype) for t in v) if isinstance(v, tuple)
                           else v.to(self.device) if v.dtype == torch.int64 else v.to(self.device, dtype))
                       for k, v in inputs.items()}
        t0 = time.time()
        self.controlnet = load_component(diffusers.SanaControlNetModel, args.controlnet).to(self.device, dtype)
        self.transformer = load_component(diffusers.SanaTransformer2DModel,
                                          os.path.join(args.checkpoint, "transformer")).to(self.device, dtype)
        self.vae = load_component(diffusers.AutoencoderDC, os.path.join(args.checkpoint, "vae")).to(self.device, dtype)
        self.load_seconds = time.time() - t0
        self.outputs = {}

    def call(self, component):
        x = self.inputs
        if component == "controlnet":
            return self.controlnet(x["hidden_states"], x["encoder_hidden_states"], x["timestep"], x["controlnet_cond"],
                                   conditioning_scale=float(x["conditioning_scale"][0]),
                                   encoder_attention_mask=x["encoder_attention_mask"]).controlnet_block_samples
        if component == "transformer":
            # Fed our ControlNet's residuals, so its parity is the transformer's alone.
            return self.transformer(x["hidden_states"], x["encoder_hidden_states"], timestep=x["timestep"],
                                    guidance=x["guidance"], encoder_attention_mask=x["encoder_attention_mask"],
                                    controlnet_block_samples=x["residuals"]).sample
        if component == "dcae_encode":
            return self.vae.encode(x["control_image"]).latent
        return self.vae.decode(x["hidden_states"]).sample

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def time(self, runs, warmup):
        times = {}
        with torch.inference_mode():
            for component in COMPONENTS:
                for _ in range(warmup):
                    self.call(component)
                samples = []
                for _ in range(runs):
                    self.sync()
                    t0 = time.perf_counter()
                    out = self.call(component)
                    self.sync()
                    samples.append((time.perf_counter() - t0) * 1000)
                self.outputs[component] = out
                times[component] = statistics.median(samples)
        return times


def load_inputs(folder):
    x = {}
    for name in ("hidden_states", "timestep", "guidance", "encoder_hidden_states", "encoder_attention_mask",
                 "control_image", "controlnet_cond", "conditioning_scale"):
        x[name] = torch.from_numpy(np.load(os.path.join(folder, name + ".npy")))
    blocks = sorted((f for f in os.listdir(folder) if f.startswith("out.controlnet_block_")),
                    key=lambda f: int(f.split("_")[-1].split(".")[0]))
    x["residuals"] = tuple(torch.from_numpy(np.load(os.path.join(folder, f))) for f in blocks)
    return x


def parity(folder, outputs):
    """{output: {max_abs, rel, nan_or_inf}} between our dumped outputs and the reference's."""
    result = {}

    def compare(name, ours, ref):
        ref = ref.detach().float().cpu().numpy()
        if ours.shape != ref.shape:
            raise SystemExit(f"parity: {name}: our shape {ours.shape} differs from the reference's {ref.shape}")
        diff = float(np.abs(ours - ref).max())
        result[name] = {"max_abs": diff, "rel": diff / max(float(np.abs(ref).max()), 1e-12),
                        "non_finite": int((~np.isfinite(ours)).sum() + (~np.isfinite(ref)).sum())}

    blocks = outputs["controlnet"]
    per_block = [np.load(os.path.join(folder, f"out.controlnet_block_{i}.npy")) for i in range(len(blocks))]
    refs = [r.detach().float().cpu().numpy() for r in blocks]
    diffs = [float(np.abs(o - r).max()) for o, r in zip(per_block, refs)]
    refmax = max(float(np.abs(r).max()) for r in refs)
    result[f"controlnet ({len(refs)} residuals)"] = {
        "max_abs": max(diffs), "rel": max(diffs) / max(refmax, 1e-12),
        "non_finite": int(sum((~np.isfinite(o)).sum() + (~np.isfinite(r)).sum() for o, r in zip(per_block, refs)))}
    compare("transformer", np.load(os.path.join(folder, "out.transformer.npy")), outputs["transformer"])
    compare("dcae_encode", np.load(os.path.join(folder, "out.dcae_encode.npy")), outputs["dcae_encode"])
    compare("dcae_decode", np.load(os.path.join(folder, "out.dcae_decode.npy")), outputs["dcae_decode"])
    return result


def machine():
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True).stdout.splitlines() if line.startswith("Model name"))
    except StopIteration:
        pass
    return {"cpu": model, "logical_cores": os.cpu_count(), "os": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_cache = os.path.join(os.path.expanduser("~"), ".cache", "sanasprint")
    p.add_argument("--cli", default="dotnet " + os.path.join(REPO, "src/SanaSprint.Cli/bin/Release/net10.0/sanasprint.dll"),
                   help="our CLI command (default: this tree's Release build)")
    p.add_argument("--label", default="ours", help="name of our side in the table")
    p.add_argument("--baseline-cli", help="a second build of our CLI timed in the same rounds (e.g. an older commit)")
    p.add_argument("--baseline-label", default="baseline")
    p.add_argument("--cache", help="our CLI's --cache (default: its own default)")
    p.add_argument("--checkpoint", help="pipeline folder (default: the --random-full-size one in the cache)")
    p.add_argument("--controlnet", help="ControlNet folder (default: the --random-full-size one in the cache)")
    p.add_argument("--size", default="256x256")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--runs", type=int, default=1, help="measured calls per component per round and side")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured calls per component per round and side")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--diffusers-src", help="diffusers' src/ folder (default: ../shared/gpu/diffusers-src.tar.zst unpacked)")
    p.add_argument("--check-golden", nargs="?", const=os.path.join(REPO, "..", "shared", "golden"),
                   help="first hold the shimmed diffusers to the golden references in this folder")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="both sides' device")
    p.add_argument("--dtype", default="fp32", choices=["fp32", "bf16", "fp16"], help="the reference's precision")
    p.add_argument("--parity-only", action="store_true", help="no timing: one dumped call of ours, the reference on its inputs")
    p.add_argument("--ours-dump", help="with --parity-only: an existing `bench-components --dump` folder instead of a new call")
    p.add_argument("--out", default="side_by_side.json")
    args = p.parse_args()

    fullsize = os.path.join(args.cache or default_cache, "fullsize-random")
    args.checkpoint = args.checkpoint or os.path.join(fullsize, "sana_sprint_0.6b_random")
    args.controlnet = args.controlnet or os.path.join(fullsize, "sana_controlnet_0.6b_random")
    for folder in (args.checkpoint, args.controlnet):
        if not os.path.isfile(os.path.join(folder, "config.json")) and not os.path.isfile(os.path.join(folder, "model_index.json")):
            raise SystemExit(f"{folder}: no checkpoint there; write the full-size random one with "
                             "`sanasprint bench-components --random-full-size --size 32x32 --runs 1 --warmup 0`")

    torch.set_num_threads(args.threads)
    if args.device == "cuda" and args.dtype == "fp32":
        torch.backends.cuda.matmul.allow_tf32 = False  # the fp32 reference in full fp32 (cuDNN convolutions default to TF32)
        torch.backends.cudnn.allow_tf32 = False
    diffusers = import_diffusers(ensure_diffusers_src(args.diffusers_src))
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "settings": {k: v for k, v in vars(args).items()}, "diffusers_commit": "58eb52c0803ea9af3abec60841c2a093bdf1f951"}
    if args.check_golden:
        report["golden"] = check_golden(diffusers, args.check_golden)
        print("golden (max |diff| / max |ref|):", json.dumps(report["golden"]))
        if max(report["golden"].values()) > 1e-4:
            raise SystemExit("the shimmed diffusers misses the golden references by more than 1e-4")

    if args.parity_only and args.ours_dump:
        dump, first_json = args.ours_dump, None
    else:
        dump = tempfile.mkdtemp(prefix="reference-bench-")
        print(f"{args.label}: first call (dumps inputs and outputs to {dump}) ...", flush=True)
        first, first_json, secs = run_ours(args.cli, args, dump)
        print(f"  {json.dumps(first)} ({secs:.0f} s with load)", flush=True)
    inputs = load_inputs(dump)
    ref = Reference(diffusers, args, inputs)
    print(f"PyTorch: components loaded in {ref.load_seconds:.0f} s", flush=True)
    if args.parity_only:
        with torch.inference_mode():
            ref.outputs = {c: ref.call(c) for c in COMPONENTS}
        report["parity"] = parity(dump, ref.outputs)
        report["our_json_first_call"] = first_json
        with open(args.out, "w") as f:
            json.dump(report, f, indent=2)
        print_parity(report)
        print(f"json: {os.path.abspath(args.out)}")
        return

    sides = [(args.label, args.cli)] + ([(args.baseline_label, args.baseline_cli)] if args.baseline_cli else [])
    rounds = []
    for r in range(args.rounds):
        load = os.getloadavg()[0]
        entry = {"round": r + 1, "load_average_1m": load}
        order = ["pytorch"] + [s for s, _ in sides]
        if r % 2 == 1:
            order.reverse()
        for side in order:
            if side == "pytorch":
                entry["pytorch"] = ref.time(args.runs, args.warmup)
            else:
                cli = dict(sides)[side]
                entry[side], _, _ = run_ours(cli, args)
            print(f"round {r + 1} {side}: " + ", ".join(f"{k} {v:.0f} ms" for k, v in entry[side].items()), flush=True)
        if r == 0:
            report["parity"] = parity(dump, ref.outputs)
        rounds.append(entry)
    report["rounds"] = rounds
    report["our_json_first_call"] = first_json

    summary = {}
    for component in COMPONENTS:
        row = {"pytorch_ms": statistics.median(e["pytorch"][component] for e in rounds)}
        for side, _ in sides:
            row[f"{side}_ms"] = statistics.median(e[side][component] for e in rounds)
            ratios = [e[side][component] / e["pytorch"][component] for e in rounds]
            row[f"{side}_ratio"] = row[f"{side}_ms"] / row["pytorch_ms"]
            row[f"{side}_ratio_range"] = [min(ratios), max(ratios)]
        summary[component] = row
    report["summary"] = summary
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)

    cols = [s for s, _ in sides]
    print()
    print(f"{args.size}, fp32, {args.threads} threads, {args.rounds} rounds x ({args.warmup} warm-up + {args.runs} measured) "
          f"per side, load average {min(e['load_average_1m'] for e in rounds):.1f}-{max(e['load_average_1m'] for e in rounds):.1f}")
    print("| component | PyTorch ms | " + " | ".join(f"{c} ms | {c} / PyTorch (per-round range)" for c in cols) + " |")
    print("|---|---:|" + "---:|---:|" * len(cols))
    for component, row in summary.items():
        cells = " | ".join(f"{row[c + '_ms']:.0f} | {row[c + '_ratio']:.2f}x ({row[c + '_ratio_range'][0]:.2f}-{row[c + '_ratio_range'][1]:.2f})"
                           for c in cols)
        print(f"| {LABELS[component]} | {row['pytorch_ms']:.0f} | {cells} |")
    print()
    print_parity(report)
    print(f"json: {os.path.abspath(args.out)}")


def print_parity(report):
    s = report["settings"]
    print(f"parity on identical inputs (ours on {s['device']} vs PyTorch {s['dtype']}):")
    for name, v in report["parity"].items():
        print(f"  {name}: max |diff| {v['max_abs']:.3g}, relative to max |ref| {v['rel']:.3g}, non-finite {v['non_finite']}")


if __name__ == "__main__":
    main()
