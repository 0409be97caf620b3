"""The least needed to import diffusers' model classes with PyTorch 1.13 (CPU) and no Hugging Face Hub packages.

diffusers at commit 58eb52c0803ea9af3abec60841c2a093bdf1f951 targets PyTorch 2.x. Its model code for the Sana
components (``models/transformers/sana_transformer.py``, ``models/controlnets/controlnet_sana.py``,
``models/autoencoders/autoencoder_dc.py``) runs on 1.13, but importing the package touches names 1.13 lacks:

- ``torch.nn.functional.scaled_dot_product_attention`` (PyTorch 2.0): defined here as softmax(q kᵀ · scale + mask) v,
  the documented semantics (boolean masks keep ``True`` positions, float masks are added);
- ``torch.xpu`` / ``torch.mps`` / ``torch.mtia`` backend tables in ``utils/torch_utils.py``: inert namespaces;
- ``torch.compiler.disable`` used as a decorator by hooks: the identity;
- float8 / small integer dtypes listed by the quantizers: placeholders (never produced here);
- ``torch.distributed._functional_collectives``, ``torch.distributed.device_mesh``, ``torch.distributed.tensor``,
  ``torch.nn.attention`` (context parallelism, flex attention): import-only stubs;
- ``huggingface_hub`` and ``safetensors`` (hub download, model cards, file loading): import-only stubs — weights are
  read by ``cpu_side_by_side.read_safetensors`` instead.

None of the stubs is reached by the forward passes timed here; the golden self-check
(``cpu_side_by_side.py --check-golden``) proves the shimmed classes reproduce the golden reference outputs.
"""
import importlib
import importlib.abc
import importlib.machinery
import math
import sys
import types

import torch
import torch.nn.functional as F

_STUB_PACKAGES = ("huggingface_hub", "safetensors")
_STUB_MODULES = (
    "torch.nn.attention",
    "torch.nn.attention.flex_attention",
    "torch.distributed._functional_collectives",
    "torch.distributed.device_mesh",
    "torch.distributed.tensor",
)


class _StubModule(types.ModuleType):
    """Any attribute exists: CONSTANTS are None (paths a temp folder), *Error names exceptions, Capitalised names
    empty classes, other names functions that return their single callable argument (so decorators are the identity)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name.isupper():
            value = "/tmp/reference-bench-hf" if name.endswith(("HOME", "CACHE", "PATH")) else None
        elif name.endswith(("Error", "Exception", "Enabled")):
            value = type(name, (Exception,), {})
        elif name[:1].isupper():
            value = type(name, (), {"__init__": lambda self, *a, **k: None})
        else:
            def value(*args, **kwargs):
                return args[0] if len(args) == 1 and callable(args[0]) and not kwargs else None
        setattr(self, name, value)
        return value


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, packages, modules):
        self.packages, self.modules = packages, modules

    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in self.packages or fullname in self.modules:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        module.__version__ = "0.0.0+stub"
        return module

    def exec_module(self, module):
        parent, _, leaf = module.__name__.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], leaf, module)


class _NoBackend(types.ModuleType):
    """An accelerator backend that is not there: counts are 0, predicates False, other calls do nothing."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *a, **k: 0 if name.endswith("count") else (False if name.startswith("is_") else None)


def _sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """torch.nn.functional.scaled_dot_product_attention as PyTorch 2.x documents it (no dropout at inference)."""
    s = scale if scale is not None else 1.0 / math.sqrt(query.shape[-1])
    weights = query @ key.transpose(-2, -1) * s
    if is_causal:
        n, m = weights.shape[-2:]
        weights = weights.masked_fill(torch.ones(n, m, dtype=torch.bool, device=weights.device).triu(1), float("-inf"))
    if attn_mask is not None:
        weights = weights.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else weights + attn_mask
    return torch.softmax(weights, dim=-1) @ value


def install():
    """Installs the shims for what is missing (idempotent; nothing with PyTorch 2.x and the Hub packages installed);
    call before ``import diffusers``."""
    if getattr(install, "done", False):
        return
    import importlib.util
    import torch.distributed  # noqa: F401  (the stubs attach to it)

    def missing(name):
        try:
            return importlib.util.find_spec(name) is None
        except ModuleNotFoundError:
            return True

    packages = tuple(p for p in _STUB_PACKAGES if missing(p))
    modules = tuple(m for m in _STUB_MODULES if missing(m))
    if packages or modules:
        sys.meta_path.insert(0, _StubFinder(packages, modules))
    for name in modules:
        importlib.import_module(name)
    for backend in ("xpu", "mps", "mtia"):
        if not hasattr(torch, backend):
            setattr(torch, backend, _NoBackend("torch." + backend))
    for dtype in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu",
                  "float4_e2m1fn_x2", "uint16", "uint32", "uint64",
                  *(f"int{i}" for i in range(1, 8)), *(f"uint{i}" for i in range(1, 8))):
        if not hasattr(torch, dtype):
            setattr(torch, dtype, type(dtype, (), {})())
    if not hasattr(torch, "compiler"):
        torch.compiler = types.SimpleNamespace(
            disable=lambda fn=None, recursive=True: fn if fn is not None else (lambda f: f),
            is_compiling=lambda: False, is_dynamo_compiling=lambda: False)
    if not hasattr(F, "scaled_dot_product_attention"):
        F.scaled_dot_product_attention = _sdpa
    install.done = True
