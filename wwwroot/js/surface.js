// surface.js: the drawing surface. Strokes are kept in canvas units (the room's canvas size) and drawn scaled to the
// canvas element's device pixels; the eraser paints the background colour. In overlay mode the canvas lies over the
// frame and paints no background, so the frame shows between the strokes; the room's sketch keeps its white background.
// The canvas' data-strokes attribute says how many strokes it shows.

/** Canvas background; the eraser paints it. */
export const BACKGROUND = "#ffffff";

/** Methods of the room object that draw (mixed into SketchRoom; `this` is the room). */
export const surfaceMethods = {
    resize() {
        const rect = this.canvas.getBoundingClientRect();
        if (rect.width === 0 || rect.height === 0) return;
        const dpr = window.devicePixelRatio || 1;
        const w = Math.max(1, Math.round(rect.width * dpr));
        const h = Math.max(1, Math.round(rect.height * dpr));
        if (this.canvas.width !== w || this.canvas.height !== h) {
            this.canvas.width = w;
            this.canvas.height = h;
        }
        this.scale = w / this.canvasW;
        this.scaleY = h / this.canvasH;
        this.redraw();
    },

    redraw() {
        const ctx = this.ctx;
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        if (this.overlay) {
            ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
        } else {
            ctx.fillStyle = BACKGROUND;
            ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
        }
        ctx.setTransform(this.scale, 0, 0, this.scaleY || this.scale, 0, 0);
        drawStrokes(ctx, this.strokes, this.order);
        this.showStrokeCount();
    },

    /** Writes the number of strokes on the canvas to its data-strokes attribute. */
    showStrokeCount() {
        this.canvas.dataset.strokes = String(this.order.length);
    },

    /** Draws the newest points of a stroke on top (the incremental path while someone draws). */
    drawTail(stroke, from) {
        const ctx = this.ctx;
        ctx.setTransform(this.scale, 0, 0, this.scaleY || this.scale, 0, 0);
        drawStroke(ctx, stroke, from);
    },

    /** A pointer event's position in canvas units, clamped to the canvas. */
    toCanvasUnits(ev) {
        const rect = this.canvas.getBoundingClientRect();
        const x = (ev.clientX - rect.left) / rect.width * this.canvasW;
        const y = (ev.clientY - rect.top) / rect.height * this.canvasH;
        return [clamp(x, 0, this.canvasW), clamp(y, 0, this.canvasH)];
    },

    /** The visible strokes drawn on a new canvas at canvas resolution (for the sketch download). */
    renderAtCanvasSize() {
        const c = document.createElement("canvas");
        c.width = this.canvasW;
        c.height = this.canvasH;
        const ctx = c.getContext("2d");
        ctx.fillStyle = BACKGROUND;
        ctx.fillRect(0, 0, c.width, c.height);
        drawStrokes(ctx, this.strokes, this.order);
        return c;
    },
};

function drawStrokes(ctx, strokes, order) {
    for (const id of order) {
        const s = strokes.get(id);
        if (s) drawStroke(ctx, s, 0);
    }
}

/** Draws a stroke from point index `from` on; the width follows pressure (width × 2 × max(p, 0.05)). */
function drawStroke(ctx, s, from) {
    const pts = s.points;
    if (pts.length === 0) return;
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (pts.length === 1) {
        const r = s.width * Math.max(pts[0][2], 0.05);
        ctx.beginPath();
        ctx.arc(pts[0][0], pts[0][1], r, 0, Math.PI * 2);
        ctx.fill();
        return;
    }
    for (let i = Math.max(1, from); i < pts.length; i++) {
        const a = pts[i - 1], b = pts[i];
        ctx.lineWidth = s.width * 2 * Math.max((a[2] + b[2]) / 2, 0.05);
        ctx.beginPath();
        ctx.moveTo(a[0], a[1]);
        ctx.lineTo(b[0], b[1]);
        ctx.stroke();
    }
}

/** A stroke from the wire (StrokeData) as the surface keeps it. */
export function toStroke(st) {
    return { id: st.id, ownerId: st.ownerId, colour: st.colour, width: st.width, points: (st.points || []).map(p => [p[0], p[1], p[2]]), ended: !!st.ended };
}

export function clamp(v, lo, hi) { return v < lo ? lo : v > hi ? hi : v; }
