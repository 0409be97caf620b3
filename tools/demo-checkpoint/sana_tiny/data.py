"""Procedural dataset: coloured scenes, hand-drawn-looking outline sketches and captions built from the attributes.

Everything is generated from a seed; nothing is downloaded. A sample is (image RGB uint8, sketch RGB uint8 black
strokes on white, caption). ``scribble_control`` turns a sketch into the ControlNet control image exactly as the C#
Imaging/ScribbleMap does (luma < 127.5 -> stroke, Gaussian blur sigma 3 with OpenCV's kernel size and reflected
borders, > 4/255 -> white; thickness rule 2 is a no-op), in [-1, 1].
"""
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

COLOURS = {
    "red": (210, 40, 40), "orange": (240, 140, 30), "yellow": (245, 215, 50), "green": (60, 170, 70),
    "blue": (45, 90, 210), "purple": (130, 60, 170), "pink": (240, 130, 180), "brown": (125, 80, 45),
    "black": (30, 30, 30), "white": (245, 245, 245), "grey": (140, 140, 140),
}
SKIES = {"blue": (110, 170, 235), "orange": (245, 160, 90), "pink": (240, 170, 200), "grey": (170, 175, 185), "dark blue": (25, 35, 80)}
GROUNDS = {"grass": ("green", (80, 160, 70)), "sand": ("yellow", (225, 200, 130)), "snow": ("white", (235, 240, 245)),
           "earth": ("brown", (120, 85, 55)), "water": ("blue", (50, 110, 180))}
FLATS = ["white", "yellow", "blue", "green", "pink", "grey", "orange", "purple"]
STYLES = ["flat colours", "watercolour", "crayon drawing", "soft shading"]
OBJECTS = ["circle", "square", "triangle", "star", "house", "tree", "sun", "mountain", "wave", "cloud", "heart", "moon"]
DEFAULT_COLOUR = {"sun": ["yellow", "orange", "red"], "tree": ["green", "orange", "red", "yellow"], "cloud": ["white", "grey", "pink"],
                  "mountain": ["grey", "purple", "blue", "brown", "green"], "wave": ["blue", "green", "purple"], "moon": ["yellow", "white", "grey"]}


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def _circle(cx, cy, r, n=48):
    return [(cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n)) for i in range(n)]


def _star(cx, cy, r, rot):
    pts = []
    for i in range(10):
        rr = r if i % 2 == 0 else r * 0.45
        a = rot + math.pi * i / 5 - math.pi / 2
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


def _heart(cx, cy, r):
    pts = []
    for i in range(48):
        t = 2 * math.pi * i / 48
        x = 16 * math.sin(t) ** 3
        y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
        pts.append((cx + r * x / 17, cy + r * y / 17))
    return pts


def object_parts(kind, cx, cy, r, colour, rng):
    """Parts as (closed polygon | None, open polylines, colour name). Coordinates in [0, 1]."""
    parts = []
    if kind == "circle":
        parts.append((_circle(cx, cy, r), [], colour))
    elif kind == "square":
        a = rng.uniform(-0.3, 0.3)
        pts = [(cx + r * math.cos(a + math.pi / 4 + k * math.pi / 2) * 1.2, cy + r * math.sin(a + math.pi / 4 + k * math.pi / 2) * 1.2) for k in range(4)]
        parts.append((pts, [], colour))
    elif kind == "triangle":
        parts.append(([(cx, cy - r), (cx + r * 1.05, cy + r * 0.8), (cx - r * 1.05, cy + r * 0.8)], [], colour))
    elif kind == "star":
        parts.append((_star(cx, cy, r * 1.2, rng.uniform(-0.3, 0.3)), [], colour))
    elif kind == "heart":
        parts.append((_heart(cx, cy, r), [], colour))
    elif kind == "moon":
        outer = _circle(cx, cy, r, 32)[8:25]  # left arc
        inner = [(cx - r * 0.35 + r * 0.8 * math.cos(a), cy + r * 0.95 * math.sin(a)) for a in np.linspace(math.pi / 2, -math.pi / 2, 14) * -1 + math.pi]
        parts.append((outer + inner[::-1], [], colour))
    elif kind == "house":
        roof = rng.choice(["red", "brown", "grey", "blue"])
        parts.append(([(cx - r, cy - r * 0.2), (cx + r, cy - r * 0.2), (cx + r, cy + r), (cx - r, cy + r)], [], colour))
        parts.append(([(cx - r * 1.2, cy - r * 0.2), (cx, cy - r * 1.1), (cx + r * 1.2, cy - r * 0.2)], [], roof))
        parts.append(([(cx - r * 0.2, cy + r * 0.35), (cx + r * 0.2, cy + r * 0.35), (cx + r * 0.2, cy + r), (cx - r * 0.2, cy + r)], [], "brown"))
    elif kind == "tree":
        parts.append(([(cx - r * 0.15, cy + r * 0.2), (cx + r * 0.15, cy + r * 0.2), (cx + r * 0.15, cy + r * 1.2), (cx - r * 0.15, cy + r * 1.2)], [], "brown"))
        parts.append((_circle(cx, cy - r * 0.25, r * 0.75), [], colour))
    elif kind == "sun":
        parts.append((_circle(cx, cy, r * 0.6), [[(cx + r * 0.75 * math.cos(a), cy + r * 0.75 * math.sin(a)), (cx + r * 1.15 * math.cos(a), cy + r * 1.15 * math.sin(a))]
                                                for a in np.arange(8) * math.pi / 4 + rng.uniform(0, 0.7)], colour))
    elif kind == "mountain":
        base = cy + r
        parts.append(([(cx - r * 1.6, base), (cx - r * 0.1, cy - r * 0.9), (cx + r * 1.6, base)], [], colour))
        if rng.random() < 0.6:
            parts.append(([(cx - r * 0.1, cy - r * 0.9), (cx - r * 0.55, cy - r * 0.3), (cx + r * 0.35, cy - r * 0.3)], [], "white"))
    elif kind == "wave":
        xs = np.linspace(cx - r * 2, cx + r * 2, 40)
        ph = rng.uniform(0, 6.28)
        top = [(x, cy + r * 0.25 * math.sin((x - cx) / r * 3 + ph)) for x in xs]
        parts.append((top + [(cx + r * 2, cy + r * 0.7), (cx - r * 2, cy + r * 0.7)], [], colour))
    elif kind == "cloud":
        blobs = [(-0.5, 0.1, 0.45), (0.0, -0.15, 0.6), (0.55, 0.1, 0.45)]
        for dx, dy, rr in blobs:
            parts.append((_circle(cx + dx * r, cy + dy * r, rr * r, 32), [], colour))
    return parts


def _shade(rgb, rng, style, w, h):
    """A shaded, textured fill (float HxWx3) for an object's bounding box."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    size = max(w, h)
    yy, xx = yy / size, xx / size
    a = rng.uniform(0, 2 * math.pi)
    grad = (np.cos(a) * (xx - 0.5) + np.sin(a) * (yy - 0.5))
    strength = 0.25 if style in ("soft shading", "watercolour") else 0.1 if style == "crayon drawing" else 0.04
    col = np.array(rgb, np.float32)[None, None] * (1 + strength * 2 * grad[..., None])
    if style == "crayon drawing":
        col = col * (1 + 0.18 * rng.standard_normal((h, w, 1)).astype(np.float32))
    return np.clip(col, 0, 255)


def _background(rng, size):
    """Background image (float HxWx3) and its caption phrase; may return the ground polygon for the sketch."""
    kind = rng.choice(["flat", "gradient", "split", "split"])
    yy = np.mgrid[0:size, 0:size][0].astype(np.float32)[..., None] / size
    if kind == "flat":
        name = str(rng.choice(FLATS))
        img = np.ones((size, size, 3), np.float32) * np.array(COLOURS[name], np.float32) * 0.95
        return img, f"on {article(name)} {name} background", None
    if kind == "gradient":
        n1, n2 = rng.choice(FLATS, 2, replace=False)
        c1, c2 = np.array(COLOURS[str(n1)], np.float32), np.array(COLOURS[str(n2)], np.float32)
        return c1 * (1 - yy) + c2 * yy, f"on {article(str(n1))} {n1} to {n2} gradient", None
    sky = str(rng.choice(list(SKIES)))
    ground = str(rng.choice(list(GROUNDS)))
    horizon = rng.uniform(0.55, 0.8)
    s = np.array(SKIES[sky], np.float32)
    g = np.array(GROUNDS[ground][1], np.float32)
    img = np.where(yy < horizon, s * (0.85 + 0.15 * yy / horizon), g * (1.05 - 0.15 * (yy - horizon)))
    sky_phrase = "at night" if sky == "dark blue" else f"under {article(sky)} {sky} sky"
    return img, f"on {GROUNDS[ground][0]} {ground} {sky_phrase}", horizon


def _perimeter(points, closed, step):
    pts = list(points) + ([points[0]] if closed else [])
    out = []
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:]):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) / step))
        for k in range(n):
            out.append((x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n))
    out.append(pts[-1])
    return np.array(out, np.float32)


def _jitter(path, rng, amp):
    n = len(path)
    noise = rng.standard_normal((n // 6 + 3, 2)).astype(np.float32) * amp
    t = np.linspace(0, len(noise) - 1, n)
    i = np.floor(t).astype(int).clip(0, len(noise) - 2)
    f = (t - i)[:, None]
    return path + noise[i] * (1 - f) + noise[i + 1] * f


def _draw_stroke(draw, path, width, scale):
    pts = [(float(x * scale), float(y * scale)) for x, y in path]
    draw.line(pts, fill=0, width=width, joint="curve")


def make_sample(rng, size=256):
    """One sample: (image uint8 HxWx3, sketch uint8 HxWx3, caption str)."""
    ss = size * 2  # supersampled canvas
    bg, bg_phrase, horizon = _background(rng, ss)
    img = bg.copy()
    style = str(rng.choice(STYLES))
    sketch = Image.new("L", (ss, ss), 255)
    sd = ImageDraw.Draw(sketch)
    base_w = int(rng.integers(2, 6)) * 2
    if horizon is not None and rng.random() < 0.7:
        xs = np.linspace(0, 1, 12)
        _draw_stroke(sd, _jitter(np.stack([xs, np.full_like(xs, horizon)], 1), rng, 0.006), base_w, ss)

    n = int(rng.choice([1, 1, 2, 2, 3]))
    kinds = list(rng.choice(OBJECTS, n, replace=False))
    phrases = []
    placed = []
    for kind in kinds:
        r = rng.uniform(0.12, 0.22) if n > 1 else rng.uniform(0.18, 0.3)
        for _ in range(20):
            cx, cy = rng.uniform(0.15 + r * 0.6, 0.85 - r * 0.6), rng.uniform(0.15 + r * 0.6, 0.85 - r * 0.6)
            if kind in ("sun", "cloud", "moon", "star") and horizon is not None:
                cy = rng.uniform(0.12 + r * 0.5, max(0.13 + r * 0.5, horizon - r))
            if kind in ("house", "tree", "mountain") and horizon is not None:
                cy = min(0.85 - r, max(0.2, horizon - rng.uniform(0.0, 0.15)))
            if all(math.hypot(cx - px, cy - py) > (r + pr) * 0.9 for px, py, pr in placed):
                break
        placed.append((cx, cy, r))
        colour = str(rng.choice(DEFAULT_COLOUR.get(kind, list(COLOURS)))) if rng.random() < 0.5 else str(rng.choice(list(COLOURS)))
        phrases.append(f"{article(colour)} {colour} {kind}")
        for poly, lines, cname in object_parts(kind, cx, cy, r, colour, rng):
            xs_, ys_ = [x * ss for x, _ in poly], [y * ss for _, y in poly]
            x0, y0 = max(0, int(min(xs_)) - 1), max(0, int(min(ys_)) - 1)
            x1, y1 = min(ss, int(max(xs_)) + 2), min(ss, int(max(ys_)) + 2)
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            m = Image.new("L", (x1 - x0, y1 - y0), 0)
            ImageDraw.Draw(m).polygon([(x - x0, y - y0) for x, y in zip(xs_, ys_)], fill=255)
            mask = np.asarray(m, np.float32)[..., None] / 255
            img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - mask) + _shade(COLOURS[cname], rng, style, x1 - x0, y1 - y0) * mask
            w = max(2, base_w + int(rng.integers(-2, 3)))
            _draw_stroke(sd, _jitter(_perimeter(poly, True, 0.01), rng, 0.005), w, ss)
            for line in lines:
                (lx0, ly0), (lx1, ly1) = line
                iimg = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
                ImageDraw.Draw(iimg).line([(lx0 * ss, ly0 * ss), (lx1 * ss, ly1 * ss)], fill=COLOURS[cname], width=max(4, ss // 64))
                img = np.asarray(iimg, np.float32).copy()
                _draw_stroke(sd, _jitter(_perimeter(line, False, 0.01), rng, 0.004), w, ss)

    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    if style == "watercolour":
        pil = pil.filter(ImageFilter.GaussianBlur(3))
        arr = np.asarray(pil, np.float32) * (1 + 0.05 * rng.standard_normal((ss, ss, 1)))
        pil = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    image = np.asarray(pil.resize((size, size), Image.LANCZOS))
    sk = np.asarray(sketch.resize((size, size), Image.LANCZOS))
    sketch_rgb = np.repeat(sk[..., None], 3, axis=2)

    if len(phrases) == 1:
        obj = phrases[0]
    else:
        obj = ", ".join(phrases[:-1]) + " and " + phrases[-1]
    caption = f"{obj} {bg_phrase}, {style}"
    return image, sketch_rgb, caption


def _gauss_kernel(sigma):
    r = int(round(sigma * 3))
    k = np.exp(-(np.arange(-r, r + 1) ** 2) / (2 * sigma * sigma)).astype(np.float32)
    return k / k.sum(), r


def scribble_map(sketch_rgb, sigma=3.0):
    """C# ScribbleMap.Compute (Imaging/ScribbleMap.cs) at the sketch's own size (no resize), thickness 2: bool HxW."""
    p = sketch_rgb.astype(np.float32)
    gray = 0.299 * p[..., 0] + 0.587 * p[..., 1] + 0.114 * p[..., 2]
    strokes = (gray < 127.5).astype(np.float32)
    k, r = _gauss_kernel(sigma)
    t = np.pad(strokes, ((0, 0), (r, r)), mode="symmetric")
    t = sum(k[i] * t[:, i:i + strokes.shape[1]] for i in range(2 * r + 1))
    t = np.pad(t, ((r, r), (0, 0)), mode="symmetric")
    t = sum(k[i] * t[i:i + strokes.shape[0]] for i in range(2 * r + 1))
    return t * 255 > 4


def scribble_control(sketch_rgb):
    """The control image, 3xHxW float in [-1, 1] (white strokes on black)."""
    m = scribble_map(sketch_rgb).astype(np.float32) * 2 - 1
    return np.repeat(m[None], 3, axis=0)


def to_tensor_image(rgb):
    """uint8 HxWx3 -> float 3xHxW in [-1, 1]."""
    return rgb.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1


def all_caption_words():
    """Text for training the tokenizer: every attribute word in context."""
    lines = []
    for k in OBJECTS:
        for c in COLOURS:
            lines.append(f"{article(c)} {c} {k}")
    for s in STYLES:
        lines.append(s)
    for sky in SKIES:
        for g, (gc, _) in GROUNDS.items():
            lines.append(f"on {gc} {g} under {article(sky)} {sky} sky" if sky != "dark blue" else f"on {gc} {g} at night")
    for a in FLATS:
        for b in FLATS:
            lines.append(f"on {article(a)} {a} to {b} gradient")
        lines.append(f"on {article(a)} {a} background")
    return lines
