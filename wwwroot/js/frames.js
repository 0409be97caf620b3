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

        // End-to-end: from sending the newest own change this frame includes to the frame arriving here.
        let e2eMs = null;
        let newest = null;
        for (const p of this.pending) if (p.revision <= m.revision && (!newest || p.revision > newest.revision)) newest = p;
        if (newest) {
            e2eMs = receivedAt - newest.sentAt;
            this.pending = this.pending.filter(p => p.revision > m.revision);
            this.lastE2E = { revision: m.revision, ms: e2eMs };
        } else if (m.isRefinement && this.lastE2E && this.lastE2E.revision === m.revision) {
            e2eMs = this.lastE2E.ms; // the refinement of a revision this browser changed: keep its stroke-to-frame time
        }
        this.frameReceivedAt = receivedAt;
        this.frameE2EMs = e2eMs;
        this.emit("frame", Object.assign(withoutImage(m), { endToEndMs: e2eMs, bytes: bytes.length }));
        this.emitRenderState();
    },

    /** Remembers an acknowledged own change until the frame that includes it arrives. */
    trackChange(revision, sentAt) {
        if (revision > this.frameRevision) {
            this.pending.push({ revision, sentAt });
            if (this.pending.length > LATENCY_PENDING_LIMIT) this.pending.shift();
        } else if (this.frame && this.frameE2EMs === null && !this.frame.isRefinement) {
            // The frame with this change arrived before the change's acknowledgement (the hub acknowledges EndStroke once
            // the stroke is stored): time it now, from the send to that frame's arrival.
            this.frameE2EMs = this.frameReceivedAt - sentAt;
            this.lastE2E = { revision: this.frameRevision, ms: this.frameE2EMs };
            this.emit("frame", Object.assign(withoutImage(this.frame), { endToEndMs: this.frameE2EMs, bytes: this.frame.image.length }));
        }
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
