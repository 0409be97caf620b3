// frames.js: frames from the hub. Image bytes become a Blob URL shown in the frame <img>; latest wins, so a frame older
// than the one on screen is dropped (a refinement of the same revision replaces it). Each frame's end-to-end time runs
// from sending the newest own change it includes to its arrival here.

import { addPngTextChunks, canvasPng } from "./pngText.js";

/** Own changes remembered while waiting for the frame that includes them. */
const LATENCY_PENDING_LIMIT = 256;

/** Methods of the room object for frames (mixed into SketchRoom; `this` is the room). */
export const frameMethods = {
    onFrame(m) {
        this.seeRevision(m.revision);
        // Latest wins: never replace a newer picture with an older one (a refinement of the same revision is newer).
        if (m.revision < this.frameRevision) return;
        const receivedAt = performance.now();
        const bytes = toBytes(m.image);
        const url = URL.createObjectURL(new Blob([bytes], { type: m.contentType || "image/jpeg" }));
        const old = this.frameUrl;
        this.frameUrl = url;
        this.frame = Object.assign({}, m, { image: bytes });
        this.frameRevision = m.revision;
        this.framesShown++;
        const img = this.frameImg;
        img.onload = () => { if (old) URL.revokeObjectURL(old); };
        img.onerror = () => { if (old) URL.revokeObjectURL(old); };
        img.src = url;
        img.dataset.revision = String(m.revision);
        img.dataset.frames = String(this.framesShown);

        // End-to-end: from sending the newest own change this frame includes to the frame arriving here. A change is
        // known to be in a frame once its acknowledgement (which carries the revision it made) has come; the hub
        // acknowledges a change once it is durable, which can be after the frame that shows it. So a frame that arrives
        // while own changes are unacknowledged is reported once those are (or once a newer frame replaces it).
        let sentAt = this.held ? this.held.sentAt : null;
        for (const p of this.pending) if (p.revision <= m.revision && (sentAt === null || p.sentAt > sentAt)) sentAt = p.sentAt;
        this.pending = this.pending.filter(p => p.revision > m.revision);
        this.held = { frame: withoutImage(m), bytes: bytes.length, receivedAt, sentAt, due: this.changesSent };
        if (sentAt === null && m.isRefinement && this.lastE2E && this.lastE2E.revision === m.revision) {
            this.held.e2eMs = this.lastE2E.ms; // the refinement of a revision this browser changed: keep its stroke-to-frame time
        }
        this.reportHeldFrame();
        this.emitRenderState();
    },

    /** Remembers an acknowledged own change until the frame that includes it arrives (or credits the frame held). */
    trackChange(revision, sentAt) {
        if (revision > this.frameRevision) {
            this.pending.push({ revision, sentAt });
            if (this.pending.length > LATENCY_PENDING_LIMIT) this.pending.shift();
        } else if (this.held && (this.held.sentAt === null || sentAt > this.held.sentAt)) {
            this.held.sentAt = sentAt;
        }
    },

    /** Tells .NET about the frame on screen once the changes sent before it arrived are acknowledged. */
    reportHeldFrame() {
        const h = this.held;
        if (!h || this.changesSettled < h.due) return;
        this.held = null;
        let e2eMs = h.e2eMs ?? null;
        if (h.sentAt !== null) {
            e2eMs = h.receivedAt - h.sentAt;
            this.lastE2E = { revision: h.frame.revision, ms: e2eMs };
        }
        this.emit("frame", Object.assign(h.frame, { endToEndMs: e2eMs, bytes: h.bytes }));
    },

    /** The frame on screen as PNG bytes with text chunks from the frame itself (prompt, seed, steps, model), or null. */
    async framePng() {
        if (!this.frame) return null;
        const f = this.frame;
        const bitmap = await createImageBitmap(new Blob([f.image], { type: f.contentType }));
        const c = document.createElement("canvas");
        c.width = bitmap.width;
        c.height = bitmap.height;
        c.getContext("2d").drawImage(bitmap, 0, 0);
        bitmap.close();
        return addPngTextChunks(await canvasPng(c), {
            prompt: f.prompt, seed: String(f.seed), steps: String(f.steps), model: f.modelName, revision: String(f.revision),
        });
    },
};

/** A frame message without its image bytes (what .NET gets). */
export function withoutImage(frame) {
    return Object.assign({}, frame, { image: "" });
}

function toBytes(image) {
    if (image instanceof Uint8Array) return image;
    return new Uint8Array(image);
}
