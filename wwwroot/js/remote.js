// remote.js: what others do, as the hub reports it: their strokes (begun, points, ended), undo/redo/clear of anyone,
// presence and cursors. Stroke events at or below the snapshot's revision are already in the snapshot and are skipped.

import { toStroke } from "./surface.js";

const CURSOR_IDLE_MS = 5000; // hide a cursor that has not moved for this long

/** Methods of the room object for others' changes (mixed into SketchRoom; `this` is the room). */
export const remoteMethods = {
    onStrokeBegun(m) {
        this.seeRevision(m.revision);
        if (m.revision <= this.snapshotRevision || this.strokes.has(m.strokeId)) return;
        this.strokes.set(m.strokeId, { id: m.strokeId, ownerId: m.ownerId, colour: m.colour, width: m.width, points: [], ended: false });
        this.order.push(m.strokeId);
        this.showStrokeCount();
        this.emitRenderState();
    },

    onPointsAppended(m) {
        this.seeRevision(m.revision);
        if (m.revision <= this.snapshotRevision) return;
        const s = this.strokes.get(m.strokeId);
        if (!s) return;
        const from = Math.max(0, s.points.length - 1);
        for (const p of m.points) s.points.push([p[0], p[1], p[2]]);
        if (this.order.includes(s.id)) this.drawTail(s, from);
        this.emitRenderState();
    },

    onStrokeEnded(m) {
        this.seeRevision(m.revision);
        const s = this.strokes.get(m.strokeId);
        if (s) s.ended = true;
        this.emitRenderState();
    },

    onStrokesRemoved(m) {
        this.seeRevision(m.revision);
        const gone = new Set(m.strokeIds);
        this.order = this.order.filter(id => !gone.has(id));
        this.redraw();
        this.emitRenderState();
    },

    onStrokesRestored(m) {
        this.seeRevision(m.revision);
        for (const st of m.strokes) this.strokes.set(st.id, toStroke(st));
        // The server's order is authoritative; a stroke of ours still in flight stays on top.
        const order = m.order.filter(id => this.strokes.has(id));
        if (this.active && !order.includes(this.active.stroke.id)) order.push(this.active.stroke.id);
        this.order = order;
        this.redraw();
        this.emitRenderState();
    },

    onCleared(m) {
        this.seeRevision(m.revision);
        this.order = this.active ? [this.active.stroke.id] : [];
        this.redraw();
        this.emitRenderState();
    },

    // Presence is kept here only to name and colour remote cursors; the page's participants list comes from the room
    // directory on the server, not from this connection.
    onPresence(m) {
        this.setParticipants(m.participants);
    },

    setParticipants(list) {
        this.participants = new Map(list.map(p => [p.id, p]));
        for (const [id, c] of this.cursors) {
            if (!this.participants.has(id)) { c.el.remove(); this.cursors.delete(id); }
        }
    },

    onCursor(m) {
        if (m.participantId === this.me || !this.cursorLayer) return;
        const who = this.participants.get(m.participantId);
        let c = this.cursors.get(m.participantId);
        if (!c) {
            const el = document.createElement("div");
            el.className = "remote-cursor";
            el.dataset.participant = m.participantId;
            el.innerHTML = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M1 1 L1 13 L4.5 9.8 L7 15 L9.2 14 L6.8 8.8 L11.5 8.8 Z" /></svg><span></span>';
            this.cursorLayer.appendChild(el);
            c = { el, timer: 0 };
            this.cursors.set(m.participantId, c);
        }
        const colour = who ? who.colour : "#888888";
        c.el.style.setProperty("--cursor-colour", colour);
        c.el.querySelector("span").textContent = who ? who.displayName : "";
        c.el.style.left = `${(m.x / this.canvasW) * 100}%`;
        c.el.style.top = `${(m.y / this.canvasH) * 100}%`;
        c.el.hidden = false;
        clearTimeout(c.timer);
        c.timer = setTimeout(() => { c.el.hidden = true; }, CURSOR_IDLE_MS);
    },

    removeCursors() {
        for (const c of this.cursors.values()) { clearTimeout(c.timer); c.el.remove(); }
    },
};
