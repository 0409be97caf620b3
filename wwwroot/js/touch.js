// touch.js: fingers and pens on the canvas, as tablet drawing apps treat them.
//
// - Palm rejection: once a pen has touched the canvas, fingers no longer draw (a resting palm makes no marks), unless the
//   person turned pen-only off. A pen that lands while a finger is drawing takes over.
// - A quick two-finger tap undoes: two fingers down and up within TAP_MS, neither moving more than TAP_SLOP_PX.
// - A finger's stroke is drawn at once but held back from the room until the finger moves past TAP_SLOP_PX, stays down
//   longer than a tap, or lifts (a dot); a second finger in that time drops it, so the first finger of a two-finger tap
//   never reaches the room.
// - The page neither scrolls nor zooms from a touch that starts on the canvas: the canvas has `touch-action: none`
//   (Pointer Events, https://www.w3.org/TR/pointerevents/#the-touch-action-css-property) and its touch events are
//   cancelled, for browsers that still pan or pinch despite it. The rest of the page keeps pinch-zoom.

/** The longest a two-finger tap lasts, first finger down to last up (ms); also how long a finger stroke is held back. */
export const TAP_MS = 350;

/** The farthest a finger of a tap may move (CSS pixels); a finger stroke is sent once it moves farther. */
export const TAP_SLOP_PX = 10;

/** Methods of the room object for fingers and pens (mixed into SketchRoom; `this` is the room). */
export const touchMethods = {
    /** Notes a finger going down; true when it may draw: the only finger, and no pen in use (or fingers allowed). */
    admitTouch(ev) {
        try {
            this.canvas.setPointerCapture(ev.pointerId); // its lift is seen even off the canvas, so the count stays right
        } catch {
            // Synthetic pointers cannot be captured.
        }
        if (this.touches.size === 0) this.gesture = { start: ev.timeStamp, fingers: 0, moved: false };
        this.touches.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
        this.gesture.fingers = Math.max(this.gesture.fingers, this.touches.size);
        if (this.touches.size > 1) {
            // A second finger makes a gesture, not a stroke: a finger stroke not yet sent is dropped, a sent one ends.
            if (this.active && this.active.touch) {
                if (this.active.pending) this.dropActiveStroke();
                else this.endActiveStroke();
            }
            return false;
        }
        return !(this.penSeen && this.penOnly);
    },

    /** Follows a finger: one that moves past the slop is no tap, and its held stroke goes to the room. */
    trackTouchMove(ev) {
        const t = this.touches.get(ev.pointerId);
        if (!t || Math.hypot(ev.clientX - t.x, ev.clientY - t.y) <= TAP_SLOP_PX) return;
        if (this.gesture) this.gesture.moved = true;
        if (this.active && this.active.pending && this.active.pointerId === ev.pointerId) this.sendHeldStroke();
    },

    /** A finger lifted (or was cancelled); when the last of a quick, still, two-finger tap lifts, undo. */
    trackTouchUp(ev) {
        if (!this.touches.delete(ev.pointerId) || this.touches.size > 0) return;
        const g = this.gesture;
        this.gesture = null;
        if (g && ev.type === "pointerup" && g.fingers === 2 && !g.moved && ev.timeStamp - g.start <= TAP_MS) this.undo();
    },

    /** A pen touched the canvas: from now on fingers do not draw (pen-only), and a finger stroke under way gives way. */
    notePen() {
        this.penSeen = true;
        this.canvas.dataset.pen = "in-use";
        if (!this.penOnly || !this.active || !this.active.touch) return;
        if (this.active.pending) this.dropActiveStroke();
        else this.endActiveStroke();
    },

    /** Keeps the new finger stroke local until it is clearly a stroke (see sendHeldStroke). */
    holdStroke() {
        const a = this.active;
        a.pending = true;
        a.holdTimer = setTimeout(() => { if (this.active === a) this.sendHeldStroke(); }, TAP_MS);
    },

    /** Sends the held stroke's begin; its points follow with the next batch. */
    sendHeldStroke() {
        const a = this.active;
        if (!a || !a.pending) return;
        clearTimeout(a.holdTimer);
        a.pending = false;
        this.change("BeginStroke", a.stroke.id, a.stroke.colour, a.stroke.width);
    },

    /** Forgets the held stroke: it was the first finger of a gesture, never sent. */
    dropActiveStroke() {
        const { stroke, holdTimer } = this.active;
        clearTimeout(holdTimer);
        this.active = null;
        this.strokes.delete(stroke.id);
        this.order = this.order.filter(id => id !== stroke.id);
        this.redraw();
    },

    /** Stops the page from panning or zooming on touches that start on the canvas. */
    attachTouch() {
        this.blockTouch = e => { if (e.cancelable) e.preventDefault(); };
        for (const type of ["touchstart", "touchmove", "gesturestart"]) {
            this.canvas.addEventListener(type, this.blockTouch, { passive: false });
        }
    },

    detachTouch() {
        for (const type of ["touchstart", "touchmove", "gesturestart"]) {
            this.canvas.removeEventListener(type, this.blockTouch);
        }
        if (this.active && this.active.holdTimer) clearTimeout(this.active.holdTimer);
    },
};
