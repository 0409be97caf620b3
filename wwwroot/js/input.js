// input.js: local input. Pointer events (mouse, pen, touch; coalesced events; pen pressure) are drawn at once and
// streamed to the hub as point batches about every FLUSH_MS, never one hub call per pointer event; cursors are sent best
// effort; Ctrl/Cmd+Z and Ctrl/Cmd+Shift+Z (or +Y) undo and redo. Fingers and pens (palm rejection, two-finger tap,
// held finger strokes) are in touch.js.

import { BACKGROUND, clamp } from "./surface.js";

/** ~30 Hz point batches. */
export const FLUSH_MS = 33;
const CURSOR_MS = 50;            // cursors are best effort, at most 20 Hz
const MIN_POINT_DISTANCE = 0.35; // canvas units; closer points add nothing visible

/** Methods of the room object for local input (mixed into SketchRoom; `this` is the room). */
export const inputMethods = {
    onPointerDown(ev) {
        if (ev.pointerType === "touch") {
            ev.preventDefault();
            if (!this.admitTouch(ev)) return;
        } else if (ev.pointerType === "pen") {
            this.notePen();
        }
        if (!this.me || this.active || this.readOnly) return;
        if (ev.pointerType === "mouse" && ev.button !== 0) return;
        ev.preventDefault();
        try {
            this.canvas.setPointerCapture(ev.pointerId);
        } catch {
            // Synthetic or already-released pointers cannot be captured; drawing works without capture.
        }
        const id = newStrokeId();
        const colour = this.tool.mode === "eraser" ? BACKGROUND : this.tool.colour;
        const width = this.tool.mode === "eraser" ? Math.max(this.tool.size * 3, 12) : this.tool.size;
        const stroke = { id, ownerId: this.me, colour, width, points: [], ended: false };
        this.strokes.set(id, stroke);
        this.order.push(id);
        this.active = { stroke, pointerId: ev.pointerId, unsent: [], touch: ev.pointerType === "touch", pending: false };
        this.showStrokeCount();
        if (this.active.touch) this.holdStroke();
        else this.change("BeginStroke", id, colour, width);
        this.addPoint(ev);
    },

    onPointerMove(ev) {
        const now = performance.now();
        if (now - this.lastCursorSent >= CURSOR_MS && this.me && this.connection.state === "Connected") {
            this.lastCursorSent = now;
            const [x, y] = this.toCanvasUnits(ev);
            this.connection.send("Cursor", x, y).catch(() => { /* cursors are best effort */ });
        }
        if (ev.pointerType === "touch") this.trackTouchMove(ev);
        if (!this.active || ev.pointerId !== this.active.pointerId) return;
        const events = typeof ev.getCoalescedEvents === "function" ? ev.getCoalescedEvents() : null;
        for (const e of events && events.length ? events : [ev]) this.addPoint(e);
    },

    onPointerUp(ev) {
        if (this.active && ev.pointerId === this.active.pointerId) {
            if (ev.type === "pointerup") this.addPoint(ev);
            if (ev.type === "pointercancel" && this.active.pending) this.dropActiveStroke(); // the browser took the touch
            else this.endActiveStroke();
        }
        if (ev.pointerType === "touch") this.trackTouchUp(ev);
    },

    endActiveStroke() {
        if (this.active.pending) this.sendHeldStroke(); // a finger that lifts before moving far draws a dot
        const { stroke } = this.active;
        this.flush();
        this.active = null;
        stroke.ended = true;
        this.change("EndStroke", stroke.id);
    },

    addPoint(ev) {
        const { stroke, unsent } = this.active;
        const [x, y] = this.toCanvasUnits(ev);
        const pressure = ev.pointerType === "pen" ? clamp(ev.pressure || 0, 0.05, 1) : 0.5;
        const last = stroke.points[stroke.points.length - 1];
        if (last && Math.hypot(last[0] - x, last[1] - y) < MIN_POINT_DISTANCE) return;
        const p = [round2(x), round2(y), round2(pressure)];
        stroke.points.push(p);
        unsent.push(p);
        this.drawTail(stroke, Math.max(0, stroke.points.length - 2));
        if (stroke.points.length >= this.maxPointsPerStroke) this.endActiveStroke();
    },

    /** Sends the points drawn since the last batch (called every FLUSH_MS and when a stroke ends). */
    flush() {
        if (!this.active || this.active.pending || this.active.unsent.length === 0) return;
        const { stroke, unsent } = this.active;
        while (unsent.length > 0) {
            const batch = unsent.splice(0, this.maxPointsPerAppend);
            this.change("AppendPoints", stroke.id, batch);
        }
    },

    onKeyDown(ev) {
        if (!(ev.ctrlKey || ev.metaKey)) return;
        const t = ev.target;
        if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
        const key = ev.key.toLowerCase();
        if (key === "z" && !ev.shiftKey) { ev.preventDefault(); this.undo(); }
        else if ((key === "z" && ev.shiftKey) || key === "y") { ev.preventDefault(); this.redo(); }
    },

    /** Starts listening to the canvas, the keyboard and the window. */
    attachInput() {
        for (const name of ["onPointerDown", "onPointerMove", "onPointerUp", "onKeyDown"]) this[name] = this[name].bind(this);
        this.canvas.style.touchAction = "none";
        this.canvas.addEventListener("pointerdown", this.onPointerDown);
        this.canvas.addEventListener("pointermove", this.onPointerMove);
        this.canvas.addEventListener("pointerup", this.onPointerUp);
        this.canvas.addEventListener("pointercancel", this.onPointerUp);
        this.canvas.addEventListener("contextmenu", e => e.preventDefault());
        document.addEventListener("keydown", this.onKeyDown);
        this.attachTouch();
        this.flushTimer = setInterval(() => this.flush(), FLUSH_MS);
    },

    detachInput() {
        clearInterval(this.flushTimer);
        document.removeEventListener("keydown", this.onKeyDown);
        this.detachTouch();
    },
};

function newStrokeId() {
    const b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return "s" + Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
}

function round2(v) { return Math.round(v * 100) / 100; }
