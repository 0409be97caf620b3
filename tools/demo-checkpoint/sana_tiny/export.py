"""Configs (diffusers / transformers keys), safetensors writing and the diffusers folder layout the C# loader reads."""
import io
import json
import os
import struct

import numpy as np
import torch

from .data import all_caption_words

DIFFUSERS_VERSION = "0.33.0"
LATENT_CHANNELS = 32
CHI_LINES = [
    "Given a user prompt, generate an 'Enhanced prompt' that provides detailed visual descriptions suitable for image generation. Evaluate the level of detail in the user prompt:",
    "- If the prompt is simple, focus on adding specifics about colors, shapes, sizes, textures, and spatial relationships to create vivid and concrete scenes.",
    "- If the prompt is already detailed, refine and enhance the existing details slightly without overcomplicating.",
    "Here are examples of how to transform or refine prompts:",
    "- User Prompt: A cat sleeping -> Enhanced: A small, fluffy white cat curled up in a round shape, sleeping peacefully on a warm sunny windowsill, surrounded by pots of blooming red flowers.",
    "- User Prompt: A busy city street -> Enhanced: A bustling city street scene at dusk, featuring glowing street lamps, a diverse crowd of people in colorful clothing, and a double-decker bus passing by towering glass skyscrapers.",
    "Please generate only the enhanced description for the prompt below and avoid including any additional commentary or evaluations:",
    "User Prompt: ",
]
CHI = "\n".join(CHI_LINES)  # diffusers default (single quotes), what the C# pipeline prepends by default


def vae_config(channels=(16, 32, 64, 64, 128, 128), head_dim=16):
    types = ["ResBlock"] * 3 + ["EfficientViTBlock"] * (len(channels) - 3)
    ms = [[5] if t == "EfficientViTBlock" else [] for t in types]
    layers = [1] * len(channels)
    return {
        "_class_name": "AutoencoderDC", "_diffusers_version": DIFFUSERS_VERSION, "attention_head_dim": head_dim,
        "decoder_act_fns": "silu", "decoder_block_out_channels": list(channels), "decoder_block_types": types,
        "decoder_layers_per_block": layers, "decoder_norm_types": "rms_norm", "decoder_qkv_multiscales": ms,
        "decoder_conv_act_fn": "relu", "decoder_in_shortcut": True, "downsample_block_type": "conv",
        "encoder_block_out_channels": list(channels), "encoder_block_types": types, "encoder_layers_per_block": layers,
        "encoder_out_shortcut": True, "encoder_qkv_multiscales": ms, "in_channels": 3,
        "latent_channels": LATENT_CHANNELS, "scaling_factor": 1.0, "upsample_block_type": "interpolate",
    }


def transformer_config(class_name, layers, caption_channels, heads=4, head_dim=32, cross_heads=4, cross_head_dim=32, sprint=True):
    d = heads * head_dim
    assert cross_heads * cross_head_dim == d, "cross-attention inner dim must equal the hidden size"
    c = {
        "_class_name": class_name, "_diffusers_version": DIFFUSERS_VERSION, "attention_bias": False,
        "attention_head_dim": head_dim, "caption_channels": caption_channels, "cross_attention_dim": d,
        "cross_attention_head_dim": cross_head_dim, "dropout": 0.0, "in_channels": LATENT_CHANNELS,
        "interpolation_scale": None, "mlp_ratio": 2.5, "norm_elementwise_affine": False, "norm_eps": 1e-6,
        "num_attention_heads": heads, "num_cross_attention_heads": cross_heads, "num_layers": layers,
        "out_channels": LATENT_CHANNELS, "patch_size": 1, "sample_size": 32,
    }
    if sprint:
        c.update({"guidance_embeds": True, "guidance_embeds_scale": 0.1, "qk_norm": "rms_norm_across_heads", "timestep_scale": 1.0})
    return c


def text_config(vocab, hidden=128, layers=2, heads=4, kv_heads=2, head_dim=32, intermediate=256):
    return {
        "architectures": ["Gemma2Model"], "attention_bias": False, "attention_dropout": 0.0,
        "attn_logit_softcapping": 50.0, "bos_token_id": 2, "eos_token_id": 1, "final_logit_softcapping": 30.0,
        "head_dim": head_dim, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": hidden,
        "initializer_range": 0.02, "intermediate_size": intermediate, "max_position_embeddings": 8192,
        "model_type": "gemma2", "num_attention_heads": heads, "num_hidden_layers": layers,
        "num_key_value_heads": kv_heads, "pad_token_id": 0, "query_pre_attn_scalar": head_dim,
        "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "sliding_window": 4096, "tie_word_embeddings": True,
        "torch_dtype": "float32", "vocab_size": vocab,
    }


def train_tokenizer(seed_captions, vocab_size):
    """A SentencePiece BPE model with Gemma's settings, trained on captions + the instruction text. Returns bytes."""
    import sentencepiece as spm

    corpus = list(seed_captions) + all_caption_words() + CHI_LINES * 4
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_writer=buf, model_type="bpe", vocab_size=vocab_size,
        byte_fallback=True, pad_id=0, eos_id=1, bos_id=2, unk_id=3, pad_piece="<pad>", eos_piece="<eos>",
        bos_piece="<bos>", unk_piece="<unk>", user_defined_symbols=["<start_of_turn>", "<end_of_turn>"],
        add_dummy_prefix=False, normalization_rule_name="identity", remove_extra_whitespaces=False,
        character_coverage=1.0, split_digits=True, allow_whitespace_only_pieces=True, num_threads=1,
        hard_vocab_limit=False, minloglevel=2, max_sentence_length=4096,
    )
    return buf.getvalue()


def _encode(a, dtype):
    if dtype == "F32":
        return a.astype("<f4").tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    if dtype == "BF16":  # round to nearest even on the upper 16 bits
        u = a.astype("<f4").view("<u4").astype(np.uint64)
        u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
        return u.astype("<u2").tobytes()
    raise ValueError(f"unsupported dtype {dtype}")


def save_safetensors(path, state, dtype="F32"):
    """Writes tensors in safetensors format (8-byte LE header size + JSON header + raw LE data), keys sorted."""
    header, chunks, offset = {}, [], 0
    for name in sorted(state):
        a = state[name].detach().to(torch.float32).contiguous().cpu().numpy()
        b = _encode(a, dtype)
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in chunks:
            f.write(b)


def load_safetensors_any(path):
    """Reads F32/F16/BF16 (as float32) and I64 tensors."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        raw, dt = data[s:e], v["dtype"]
        if dt == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(raw, {"F32": "<f4", "F16": "<f2", "I64": "<i8"}[dt])
            a = a.astype(np.float32) if dt == "F16" else a
        out[k] = torch.from_numpy(a.reshape(v["shape"]).copy())
    return out


load_safetensors = load_safetensors_any


def _json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)


def export(out_dir, vae, transformer, controlnet, text_encoder, tokenizer_bytes, dtype="F32"):
    """Writes <out>/sana_sprint_demo (pipeline) and <out>/sana_controlnet_demo (ControlNet) in diffusers layout."""
    pipe = os.path.join(out_dir, "sana_sprint_demo")
    ctrl = os.path.join(out_dir, "sana_controlnet_demo")
    for sub in ["scheduler", "transformer", "vae", "text_encoder", "tokenizer"]:
        os.makedirs(os.path.join(pipe, sub), exist_ok=True)
    os.makedirs(ctrl, exist_ok=True)
    _json(os.path.join(pipe, "model_index.json"), {
        "_class_name": "SanaSprintPipeline", "_diffusers_version": DIFFUSERS_VERSION,
        "scheduler": ["diffusers", "SCMScheduler"], "text_encoder": ["transformers", "Gemma2Model"],
        "tokenizer": ["transformers", "GemmaTokenizerFast"], "transformer": ["diffusers", "SanaTransformer2DModel"],
        "vae": ["diffusers", "AutoencoderDC"],
    })
    _json(os.path.join(pipe, "scheduler", "scheduler_config.json"), {
        "_class_name": "SCMScheduler", "_diffusers_version": DIFFUSERS_VERSION, "num_train_timesteps": 1000,
        "prediction_type": "trigflow", "sigma_data": 0.5, "max_timesteps": 1.5708, "intermediate_timesteps": 1.3,
    })
    _json(os.path.join(pipe, "transformer", "config.json"), transformer.config)
    save_safetensors(os.path.join(pipe, "transformer", "diffusion_pytorch_model.safetensors"), transformer.state_dict(), dtype)
    _json(os.path.join(pipe, "vae", "config.json"), vae.config)
    save_safetensors(os.path.join(pipe, "vae", "diffusion_pytorch_model.safetensors"), vae.state_dict(), dtype)
    _json(os.path.join(pipe, "text_encoder", "config.json"), text_encoder.config)
    save_safetensors(os.path.join(pipe, "text_encoder", "model.safetensors"), text_encoder.state_dict(), dtype)
    with open(os.path.join(pipe, "tokenizer", "tokenizer.model"), "wb") as f:
        f.write(tokenizer_bytes)
    specials = ["<start_of_turn>", "<end_of_turn>"]
    _json(os.path.join(pipe, "tokenizer", "tokenizer_config.json"), {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>",
        "unk_token": "<unk>", "padding_side": "right", "model_max_length": 1000000, "tokenizer_class": "GemmaTokenizer",
        "additional_special_tokens": specials,
    })
    _json(os.path.join(pipe, "tokenizer", "special_tokens_map.json"), {
        "bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>", "additional_special_tokens": specials,
    })
    _json(os.path.join(ctrl, "config.json"), controlnet.config)
    save_safetensors(os.path.join(ctrl, "diffusion_pytorch_model.safetensors"), controlnet.state_dict(), dtype)
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(out_dir) for f in fs)
    return pipe, ctrl, total
