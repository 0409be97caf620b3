// sketchCanvas.js: the browser half of a sketch room (the canvas data plane).
//
// The page (Blazor Server, Components/Room/SketchCanvas.razor) calls connect() once through JS interop. From then on
// this module owns one SignalR connection to /hubs/sketch (MessagePack protocol) and everything fast:
// - pointer input (mouse, pen, touch; coalesced events; pen pressure) drawn locally at once, streamed to the hub as
//   point batches about every FLUSH_MS, never one hub call per pointer event;
// - others' strokes, undo/redo/clear and cursors, drawn as they arrive;
// - frames: image bytes -> Blob URL -> <img>, dropping frames older than the newest one shown.
// The participants list and latency readout go to .NET as small JSON events through
// dotnet.invokeMethodAsync("OnRoomEvent", kind, json). Prompt and settings never pass through here: the page sends and
// receives them on the server; this module only notes their revisions (the picture is stale until a newer frame).
// The wire contract is src/SanaSprint.Web/Hubs/Contracts/Messages.cs.

const FLUSH_MS = 33;            // ~30 Hz point batches
const CURSOR_MS = 50;           // cursors are best effort, at most 20 Hz
const CURSOR_IDLE_MS = 5000;    // hide a cursor that has not moved for this long
const MIN_POINT_DISTANCE = 0.35; // canvas units; closer points add nothing visible
const BACKGROUND = "#ffffff";   // canvas background; the eraser paints it
const DEFAULT_MAX_POINTS_PER_APPEND = 512;
const DEFAULT_MAX_POINTS_PER_STROKE = 20000;
const LATENCY_PENDING_LIMIT = 256;

/**
 * Connects a canvas to a room and returns the room object the page drives.
 * @param {{canvas: HTMLCanvasElement, frame: HTMLImageElement, cursors: HTMLElement}} elements
 * @param {{roomId: string, displayName: string, hubUrl?: string, tool?: object, maxPointsPerAppend?: number}} options
 * @param {object} dotnet DotNetObjectReference with OnRoomEvent(kind, json)
 */
export async function connect(elements, options, dotnet) {
    const room = new SketchRoom(elements, options, dotnet);
    await room.start();
    return room;
}

class SketchRoom {
    constructor(elements, options, dotnet) {
        this.canvas = elements.canvas;
        this.frameImg = elements.frame;
        this.cursorLayer = elements.cursors;
        this.ctx = this.canvas.getContext("2d");
        this.options = options;
        this.dotnet = dotnet;
        this.roomId = options.roomId;
        this.maxPointsPerAppend = options.maxPointsPerAppend || DEFAULT_MAX_POINTS_PER_APPEND;
        this.maxPointsPerStroke = options.maxPointsPerStroke || DEFAULT_MAX_POINTS_PER_STROKE;

        this.canvasW = 1024;
        this.canvasH = 1024;
        this.scale = 1;
        this.strokes = new Map();   // id -> { id, ownerId, colour, width, points: [[x, y, p]], ended }
        this.order = [];            // visible stroke ids, bottom to top
        this.me = null;
        this.participants = new Map();
        this.cursors = new Map();   // participantId -> { el, timer }
        this.revision = 0;          // newest room revision seen
        this.snapshotRevision = 0;  // stroke events at or below it are already in the snapshot
        this.frameRevision = -1;    // revision of the frame on screen
        this.frame = null;          // the frame on screen (FrameMessage with bytes)
        this.frameReceivedAt = 0;   // when it arrived (performance.now())
        this.frameE2EMs = null;     // its end-to-end time, null until one of this browser's changes is known to be in it
        this.frameUrl = null;
        this.framesShown = 0;
        this.pending = [];          // own changes waiting for a frame: { revision, sentAt }
        this.active = null;         // stroke being drawn: { stroke, pointerId, unsent: [] }
        this.tool = Object.assign({ mode: "brush", colour: "#1f1f1f", size: 6 }, options.tool || {});
        this.lastCursorSent = 0;
        this.disposed = false;

        this.onPointerDown = this.onPointerDown.bind(this);
        this.onPointerMove = this.onPointerMove.bind(this);
        this.onPointerUp = this.onPointerUp.bind(this);
        this.onKeyDown = this.onKeyDown.bind(this);
        this.resize = this.resize.bind(this);
    }

    // ---- 1. Connection -------------------------------------------------------------------------------------------

    async start() {
        const signalR = window.signalR;
        if (!signalR || !signalR.protocols || !signalR.protocols.msgpack) {
            throw new Error("The SignalR client (lib/signalr/signalr.min.js and signalr-protocol-msgpack.min.js) is not loaded.");
        }

        this.connection = new signalR.HubConnectionBuilder()
            .withUrl(this.options.hubUrl || "/hubs/sketch")
            .withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol())
            .withAutomaticReconnect()
            .configureLogging(signalR.LogLevel.Warning)
            .build();

        const c = this.connection;
        c.on("StrokeBegun", m => this.onStrokeBegun(m));
        c.on("PointsAppended", m => this.onPointsAppended(m));
        c.on("StrokeEnded", m => this.onStrokeEnded(m));
        c.on("StrokesRemoved", m => this.onStrokesRemoved(m));
        c.on("StrokesRestored", m => this.onStrokesRestored(m));
        c.on("Cleared", m => this.onCleared(m));
        c.on("PresenceChanged", m => this.onPresence(m));
        c.on("CursorMoved", m => this.onCursor(m));
        c.on("SettingsChanged", m => { this.seeRevision(m.revision); this.emitRenderState(); });
        c.on("PromptChanged", m => { this.seeRevision(m.revision); this.emitRenderState(); });
        c.on("Frame", m => this.onFrame(m));
        c.on("FrameFailed", m => this.emit("frameFailed", m));
        c.on("Error", m => this.emit("error", m));
        c.onreconnecting(() => this.emit("connection", { state: "reconnecting" }));
        c.onreconnected(() => this.join().catch(e => this.emit("connection", { state: "failed", message: String(e) })));
        c.onclose(e => { if (!this.disposed) this.emit("connection", { state: "disconnected", message: e ? String(e) : null }); });

        this.canvas.style.touchAction = "none";
        this.canvas.addEventListener("pointerdown", this.onPointerDown);
        this.canvas.addEventListener("pointermove", this.onPointerMove);
        this.canvas.addEventListener("pointerup", this.onPointerUp);
        this.canvas.addEventListener("pointercancel", this.onPointerUp);
        this.canvas.addEventListener("contextmenu", e => e.preventDefault());
        document.addEventListener("keydown", this.onKeyDown);
        this.resizeObserver = new ResizeObserver(this.resize);
        this.resizeObserver.observe(this.canvas);
        window.addEventListener("resize", this.resize);
        this.flushTimer = setInterval(() => this.flush(), FLUSH_MS);

        this.emit("connection", { state: "connecting" });
        await c.start();
        await this.join();
    }

    async join() {
        // After a reconnect, RejoinRoom makes this connection the same participant again (same colour, own strokes
        // still undoable); the first join, or a rejoin the server no longer knows, is a plain JoinRoom.
        const name = this.options.displayName || "";
        const snapshot = this.me && this.rejoinToken
            ? await this.connection.invoke("RejoinRoom", this.roomId, name, this.me, this.rejoinToken)
            : await this.connection.invoke("JoinRoom", this.roomId, name);
        this.applySnapshot(snapshot);
        this.emit("connection", { state: "connected" });
    }

    applySnapshot(s) {
        this.me = s.participantId;
        this.rejoinToken = s.rejoinToken || null;
        this.canvasW = s.canvasWidth;
        this.canvasH = s.canvasHeight;
        this.canvas.style.aspectRatio = `${s.canvasWidth} / ${s.canvasHeight}`;
        this.strokes.clear();
        this.order = [];
        for (const st of s.strokes || []) {
            this.strokes.set(st.id, toStroke(st));
            this.order.push(st.id);
        }
        this.revision = Math.max(this.revision, s.revision);
        this.snapshotRevision = s.revision;
        this.setParticipants(s.participants || []);
        this.resize();
        if (s.lastFrame) this.onFrame(s.lastFrame);
        const forDotnet = Object.assign({}, s, { strokes: [], lastFrame: s.lastFrame ? withoutImage(s.lastFrame) : null });
        this.emit("snapshot", forDotnet);
        this.emitRenderState();
    }

    /** Invokes a hub method that changes the room; a numeric result is the revision it produced. */
    change(method, ...args) {
        const sentAt = performance.now();
        return this.connection.invoke(method, ...args).then(result => {
            const revision = typeof result === "number" ? result
                : (result && typeof result.revision === "number" ? result.revision : null);
            if (revision !== null) {
                this.seeRevision(revision);
                if (revision > this.frameRevision) {
                    this.pending.push({ revision, sentAt });
                    if (this.pending.length > LATENCY_PENDING_LIMIT) this.pending.shift();
                } else if (this.frame && this.frameE2EMs === null && !this.frame.isRefinement) {
                    // The frame with this change arrived before the change's acknowledgement (the hub acknowledges
                    // EndStroke once the stroke is on disk): time it now, from the send to that frame's arrival.
                    this.frameE2EMs = this.frameReceivedAt - sentAt;
                    this.lastE2E = { revision: this.frameRevision, ms: this.frameE2EMs };
                    this.emit("frame", Object.assign(withoutImage(this.frame), { endToEndMs: this.frameE2EMs, bytes: this.frame.image.length }));
                }
                this.emitRenderState();
            }
            return result;
        }, e => {
            this.emit("error", { method, code: "invoke-failed", message: cleanHubError(e) });
            return null;
        });
    }

    seeRevision(r) {
        if (typeof r === "number" && r > this.revision) this.revision = r;
    }

    emit(kind, payload) {
        if (this.disposed || !this.dotnet) return;
        this.dotnet.invokeMethodAsync("OnRoomEvent", kind, JSON.stringify(payload)).catch(() => { /* circuit gone */ });
    }

    emitRenderState() {
        const state = this.frameRevision < 0 ? (this.revision > 0 || this.order.length > 0 ? "rendering" : "idle")
            : this.revision > this.frameRevision ? "rendering" : "upToDate";
        if (state === this.lastRenderState && this.revision === this.lastEmittedRevision) return;
        this.lastRenderState = state;
        this.lastEmittedRevision = this.revision;
        this.emit("renderState", { state, revision: this.revision, frameRevision: this.frameRevision });
    }

    // ---- 2. Drawing surface ----------------------------------------------------------------------------------------

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
    }

    redraw() {
        const ctx = this.ctx;
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.fillStyle = BACKGROUND;
        ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
        ctx.setTransform(this.scale, 0, 0, this.scaleY || this.scale, 0, 0);
        for (const id of this.order) {
            const s = this.strokes.get(id);
            if (s) drawStroke(ctx, s, 0);
        }
    }

    /** Draws the newest points of a stroke on top (the incremental path while someone draws). */
    drawTail(stroke, from) {
        const ctx = this.ctx;
        ctx.setTransform(this.scale, 0, 0, this.scaleY || this.scale, 0, 0);
        drawStroke(ctx, stroke, from);
    }

    toCanvasUnits(ev) {
        const rect = this.canvas.getBoundingClientRect();
        const x = (ev.clientX - rect.left) / rect.width * this.canvasW;
        const y = (ev.clientY - rect.top) / rect.height * this.canvasH;
        return [clamp(x, 0, this.canvasW), clamp(y, 0, this.canvasH)];
    }

    // ---- 3. Local input --------------------------------------------------------------------------------------------

    onPointerDown(ev) {
        if (!this.me || this.active) return;
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
        this.active = { stroke, pointerId: ev.pointerId, unsent: [] };
        this.change("BeginStroke", id, colour, width);
        this.addPoint(ev);
    }

    onPointerMove(ev) {
        const now = performance.now();
        if (now - this.lastCursorSent >= CURSOR_MS && this.me && this.connection.state === "Connected") {
            this.lastCursorSent = now;
            const [x, y] = this.toCanvasUnits(ev);
            this.connection.send("Cursor", x, y).catch(() => { /* cursors are best effort */ });
        }
        if (!this.active || ev.pointerId !== this.active.pointerId) return;
        const events = typeof ev.getCoalescedEvents === "function" ? ev.getCoalescedEvents() : null;
        for (const e of events && events.length ? events : [ev]) this.addPoint(e);
    }

    onPointerUp(ev) {
        if (!this.active || ev.pointerId !== this.active.pointerId) return;
        if (ev.type === "pointerup") this.addPoint(ev);
        this.endActiveStroke();
    }

    endActiveStroke() {
        const { stroke } = this.active;
        this.flush();
        this.active = null;
        stroke.ended = true;
        this.change("EndStroke", stroke.id);
    }

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
    }

    /** Sends the points drawn since the last batch (called every FLUSH_MS and when a stroke ends). */
    flush() {
        if (!this.active || this.active.unsent.length === 0) return;
        const { stroke, unsent } = this.active;
        while (unsent.length > 0) {
            const batch = unsent.splice(0, this.maxPointsPerAppend);
            this.change("AppendPoints", stroke.id, batch);
        }
    }

    onKeyDown(ev) {
        if (!(ev.ctrlKey || ev.metaKey)) return;
        const t = ev.target;
        if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
        const key = ev.key.toLowerCase();
        if (key === "z" && !ev.shiftKey) { ev.preventDefault(); this.undo(); }
        else if ((key === "z" && ev.shiftKey) || key === "y") { ev.preventDefault(); this.redo(); }
    }

    // ---- 4. Room events from the hub ---------------------------------------------------------------------------------

    onStrokeBegun(m) {
        this.seeRevision(m.revision);
        if (m.revision <= this.snapshotRevision || this.strokes.has(m.strokeId)) return;
        this.strokes.set(m.strokeId, { id: m.strokeId, ownerId: m.ownerId, colour: m.colour, width: m.width, points: [], ended: false });
        this.order.push(m.strokeId);
        this.emitRenderState();
    }

    onPointsAppended(m) {
        this.seeRevision(m.revision);
        if (m.revision <= this.snapshotRevision) return;
        const s = this.strokes.get(m.strokeId);
        if (!s) return;
        const from = Math.max(0, s.points.length - 1);
        for (const p of m.points) s.points.push([p[0], p[1], p[2]]);
        if (this.order.includes(s.id)) this.drawTail(s, from);
        this.emitRenderState();
    }

    onStrokeEnded(m) {
        this.seeRevision(m.revision);
        const s = this.strokes.get(m.strokeId);
        if (s) s.ended = true;
        this.emitRenderState();
    }

    onStrokesRemoved(m) {
        this.seeRevision(m.revision);
        const gone = new Set(m.strokeIds);
        this.order = this.order.filter(id => !gone.has(id));
        this.redraw();
        this.emitRenderState();
    }

    onStrokesRestored(m) {
        this.seeRevision(m.revision);
        for (const st of m.strokes) this.strokes.set(st.id, toStroke(st));
        // The server's order is authoritative; a stroke of ours still in flight stays on top.
        const order = m.order.filter(id => this.strokes.has(id));
        if (this.active && !order.includes(this.active.stroke.id)) order.push(this.active.stroke.id);
        this.order = order;
        this.redraw();
        this.emitRenderState();
    }

    onCleared(m) {
        this.seeRevision(m.revision);
        this.order = this.active ? [this.active.stroke.id] : [];
        this.redraw();
        this.emitRenderState();
    }

    onPresence(m) {
        this.setParticipants(m.participants);
        this.emit("presence", m);
    }

    setParticipants(list) {
        this.participants = new Map(list.map(p => [p.id, p]));
        for (const [id, c] of this.cursors) {
            if (!this.participants.has(id)) { c.el.remove(); this.cursors.delete(id); }
        }
    }

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
    }

    // ---- 5. Frames ---------------------------------------------------------------------------------------------------

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
    }

    // ---- 6. Commands from the page -----------------------------------------------------------------------------------

    /** Sets brush or eraser, colour and size: { mode: "brush"|"eraser", colour: "#rrggbb", size: number }. */
    setTool(tool) { Object.assign(this.tool, typeof tool === "string" ? JSON.parse(tool) : tool); }

    undo() { return this.change("Undo"); }

    redo() { return this.change("Redo"); }

    clear() { return this.change("Clear"); }

    /** The bytes of the frame on screen, or null (for "keep" and thumbnails). */
    frameBytes() { return this.frame ? this.frame.image : null; }

    /** A small JPEG data URL of the frame on screen (a preset thumbnail), or null. */
    async frameThumbnail(maxSize) {
        if (!this.frame) return null;
        const bitmap = await createImageBitmap(new Blob([this.frame.image], { type: this.frame.contentType }));
        const k = Math.min(1, (maxSize || 256) / Math.max(bitmap.width, bitmap.height));
        const c = document.createElement("canvas");
        c.width = Math.max(1, Math.round(bitmap.width * k));
        c.height = Math.max(1, Math.round(bitmap.height * k));
        c.getContext("2d").drawImage(bitmap, 0, 0, c.width, c.height);
        bitmap.close();
        return c.toDataURL("image/jpeg", 0.85);
    }

    /** The sketch at canvas resolution as PNG bytes with text chunks (prompt, seed, steps, model). */
    async sketchPng(metaJson) {
        const c = document.createElement("canvas");
        c.width = this.canvasW;
        c.height = this.canvasH;
        const ctx = c.getContext("2d");
        ctx.fillStyle = BACKGROUND;
        ctx.fillRect(0, 0, c.width, c.height);
        for (const id of this.order) {
            const s = this.strokes.get(id);
            if (s) drawStroke(ctx, s, 0);
        }
        return addPngTextChunks(await canvasPng(c), parseMeta(metaJson));
    }

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
    }

    async downloadSketch(metaJson, fileName) {
        saveBytes(await this.sketchPng(metaJson), fileName || `sketch-${this.roomId}.png`);
        return true;
    }

    async downloadFrame(fileName) {
        const png = await this.framePng();
        if (!png) return false;
        saveBytes(png, fileName || `frame-${this.roomId}-r${this.frameRevision}.png`);
        return true;
    }

    /** Test and diagnostics view of the local state. */
    debugState() {
        return {
            me: this.me, revision: this.revision, frameRevision: this.frameRevision, framesShown: this.framesShown,
            strokes: this.order.length, points: this.order.reduce((n, id) => n + (this.strokes.get(id)?.points.length || 0), 0),
            connection: this.connection ? this.connection.state : "none",
        };
    }

    async dispose() {
        this.disposed = true;
        clearInterval(this.flushTimer);
        document.removeEventListener("keydown", this.onKeyDown);
        window.removeEventListener("resize", this.resize);
        if (this.resizeObserver) this.resizeObserver.disconnect();
        for (const c of this.cursors.values()) { clearTimeout(c.timer); c.el.remove(); }
        if (this.frameUrl) URL.revokeObjectURL(this.frameUrl);
        if (this.connection) await this.connection.stop().catch(() => { });
    }
}

// ---- helpers --------------------------------------------------------------------------------------------------------

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

function toStroke(st) {
    return { id: st.id, ownerId: st.ownerId, colour: st.colour, width: st.width, points: (st.points || []).map(p => [p[0], p[1], p[2]]), ended: !!st.ended };
}

function withoutImage(frame) {
    return Object.assign({}, frame, { image: "" });
}

function toBytes(image) {
    if (image instanceof Uint8Array) return image;
    if (typeof image === "string") return Uint8Array.from(atob(image), ch => ch.charCodeAt(0)); // JSON protocol
    return new Uint8Array(image);
}

function cleanHubError(e) {
    const text = e && e.message ? e.message : String(e);
    return text.replace(/^.*HubException: /, "");
}

function newStrokeId() {
    const b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return "s" + Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
}

function clamp(v, lo, hi) { return v < lo ? lo : v > hi ? hi : v; }

function round2(v) { return Math.round(v * 100) / 100; }

function parseMeta(metaJson) {
    const meta = typeof metaJson === "string" ? JSON.parse(metaJson) : (metaJson || {});
    const out = {};
    for (const [k, v] of Object.entries(meta)) if (v !== null && v !== undefined) out[k] = String(v);
    return out;
}

function canvasPng(canvas) {
    return new Promise((resolve, reject) => canvas.toBlob(b => b
        ? b.arrayBuffer().then(a => resolve(new Uint8Array(a)), reject)
        : reject(new Error("the canvas could not be encoded as PNG")), "image/png"));
}

function saveBytes(bytes, fileName) {
    const url = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = fileName;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- PNG text chunks --------------------------------------------------------------------------------------------------

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
let crcTable = null;

function crc32(bytes) {
    if (!crcTable) {
        crcTable = new Uint32Array(256);
        for (let n = 0; n < 256; n++) {
            let c = n;
            for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
            crcTable[n] = c >>> 0;
        }
    }
    let c = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
}

/**
 * Returns a copy of a PNG with one text chunk per entry, right after IHDR: tEXt (Latin-1) when the value fits,
 * otherwise iTXt (UTF-8). Keys are 1–79 Latin-1 characters.
 */
export function addPngTextChunks(png, entries) {
    for (let i = 0; i < 8; i++) if (png[i] !== PNG_SIGNATURE[i]) throw new Error("not a PNG (bad signature)");
    const ihdrLength = new DataView(png.buffer, png.byteOffset).getUint32(8);
    const afterIhdr = 8 + 12 + ihdrLength;
    const chunks = [];
    for (const [key, value] of Object.entries(entries || {})) {
        if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(key)) throw new Error(`PNG text key '${key}' must be 1-79 Latin-1 characters`);
        const latin1 = /^[\x00-\xff]*$/.test(value);
        if (latin1) {
            const data = new Uint8Array(key.length + 1 + value.length);
            for (let i = 0; i < key.length; i++) data[i] = key.charCodeAt(i);
            for (let i = 0; i < value.length; i++) data[key.length + 1 + i] = value.charCodeAt(i);
            chunks.push(chunk("tEXt", data));
        } else {
            const text = new TextEncoder().encode(value);
            // keyword \0 compressionFlag(0) compressionMethod(0) languageTag \0 translatedKeyword \0 text
            const data = new Uint8Array(key.length + 5 + text.length);
            for (let i = 0; i < key.length; i++) data[i] = key.charCodeAt(i);
            data.set(text, key.length + 5);
            chunks.push(chunk("iTXt", data));
        }
    }
    const extra = chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(png.length + extra);
    out.set(png.subarray(0, afterIhdr), 0);
    let at = afterIhdr;
    for (const c of chunks) { out.set(c, at); at += c.length; }
    out.set(png.subarray(afterIhdr), at);
    return out;
}

/** Reads the tEXt and iTXt chunks of a PNG into an object (for tests and diagnostics). */
export function readPngTextChunks(png) {
    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    const out = {};
    for (let at = 8; at + 12 <= png.length;) {
        const length = view.getUint32(at);
        const type = String.fromCharCode(png[at + 4], png[at + 5], png[at + 6], png[at + 7]);
        const data = png.subarray(at + 8, at + 8 + length);
        if (type === "tEXt" || type === "iTXt") {
            const zero = data.indexOf(0);
            const key = String.fromCharCode(...data.subarray(0, zero));
            if (type === "tEXt") {
                out[key] = String.fromCharCode(...data.subarray(zero + 1));
            } else {
                let p = zero + 3;
                p = data.indexOf(0, p) + 1;   // language tag
                p = data.indexOf(0, p) + 1;   // translated keyword
                out[key] = new TextDecoder().decode(data.subarray(p));
            }
        }
        if (type === "IEND") break;
        at += 12 + length;
    }
    return out;
}
