// connection.js: the room's SignalR connection to the sketch hub (MessagePack protocol): join and rejoin after a
// reconnect or a page reload (the participant id and rejoin token are kept in this tab's sessionStorage, so a reload
// is the same participant, host included), this participant's role (watchers, and drawers while the host has locked
// drawing, get a read-only surface: the server refuses their changes anyway), hub calls that change the room (with their revisions, for latency), and the events .NET gets as small JSON
// messages through dotnet.invokeMethodAsync("OnRoomEvent", kind, json). The wire contract is
// src/SanaSprint.Web/Hubs/Contracts/Messages.cs.

import { toStroke } from "./surface.js";
import { withoutImage } from "./frames.js";
import { RevisionGaps } from "./revisionGaps.js";

/** Methods of the room object for its connection (mixed into SketchRoom; `this` is the room). */
export const connectionMethods = {
    /** Builds the hub connection and routes the hub's messages to the room's handlers. */
    openConnection() {
        const signalR = window.signalR;
        if (!signalR || !signalR.protocols || !signalR.protocols.msgpack) {
            throw new Error("The SignalR client (lib/signalr/signalr.min.js and signalr-protocol-msgpack.min.js) is not loaded.");
        }
        const c = new signalR.HubConnectionBuilder()
            .withUrl(this.options.hubUrl || "/hubs/sketch")
            .withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol())
            .withAutomaticReconnect()
            .configureLogging(signalR.LogLevel.Warning)
            .build();
        this.connection = c;
        c.on("StrokeBegun", m => this.onStrokeBegun(m));
        c.on("PointsAppended", m => this.onPointsAppended(m));
        c.on("StrokeEnded", m => this.onStrokeEnded(m));
        c.on("StrokesRemoved", m => this.onStrokesRemoved(m));
        c.on("StrokesRestored", m => this.onStrokesRestored(m));
        c.on("Cleared", m => this.onCleared(m));
        c.on("PresenceChanged", m => {
            this.onPresence(m);
            // A host gone for good is replaced with a presence change.
            const host = (m.participants || []).find(p => p.role === "host");
            if (host && host.id !== this.hostId) this.applyAccess({ hostId: host.id, locked: this.locked });
        });
        c.on("CursorMoved", m => this.onCursor(m));
        c.on("SettingsChanged", m => { this.seeRevision(m.revision); this.emitRenderState(); });
        c.on("PromptChanged", m => { this.seeRevision(m.revision); this.emitRenderState(); });
        c.on("Frame", m => this.onFrame(m));
        c.on("FrameFailed", m => this.emit("frameFailed", m));
        c.on("Error", m => this.emit("error", m));
        c.on("AccessChanged", m => this.applyAccess(m));
        c.on("Removed", m => this.onRemoved(m));
        c.onreconnecting(() => this.emit("connection", { state: "reconnecting" }));
        c.onreconnected(() => this.join().catch(e => this.emit("connection", { state: "failed", message: String(e) })));
        c.onclose(e => { if (!this.disposed) this.emit("connection", { state: "disconnected", message: e ? String(e) : null }); });
        return c;
    },

    async join() {
        // After a reconnect, RejoinRoom makes this connection the same participant again (same colour, own strokes
        // still undoable); the first join, or a rejoin the server no longer knows, is a plain JoinRoom.
        const name = this.options.displayName || "";
        if (!this.me) Object.assign(this, loadRejoin(this.roomId));
        const snapshot = this.me && this.rejoinToken
            ? await this.connection.invoke("RejoinRoom", this.roomId, name, this.me, this.rejoinToken)
            : await this.connection.invoke("JoinRoom", this.roomId, name);
        this.applySnapshot(snapshot);
        this.emit("connection", { state: "connected" });
    },

    applySnapshot(s) {
        this.me = s.participantId;
        this.rejoinToken = s.rejoinToken || null;
        saveRejoin(this.roomId, this.me, this.rejoinToken);
        this.role = s.role || "drawer";
        this.applyAccess({ hostId: s.hostId, locked: !!s.locked });
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
        this.gaps = new RevisionGaps(s.revision);
        this.setParticipants(s.participants || []);
        this.resize();
        if (s.lastFrame) this.onFrame(s.lastFrame);
        const forDotnet = Object.assign({}, s, { strokes: [], lastFrame: s.lastFrame ? withoutImage(s.lastFrame) : null });
        this.emit("snapshot", forDotnet);
        this.emitRenderState();
    },

    /** Invokes a hub method that changes the room; a numeric result is the revision it produced. */
    change(method, ...args) {
        const sentAt = performance.now();
        this.changesSent++;
        return this.connection.invoke(method, ...args).then(result => {
            this.changesSettled++;
            this.resyncOnGap();
            const revision = typeof result === "number" ? result
                : (result && typeof result.revision === "number" ? result.revision : null);
            if (revision !== null) {
                this.seeRevision(revision);
                this.trackChange(revision, sentAt);
                this.emitRenderState();
            }
            this.reportHeldFrame();
            return result;
        }, e => {
            this.changesSettled++;
            this.resyncOnGap();
            this.reportHeldFrame();
            this.emit("error", { method, code: "invoke-failed", message: cleanHubError(e) });
            return null;
        });
    },

    /** Host, lock and roles changed: recomputes whether this participant may draw. */
    applyAccess(m) {
        this.hostId = m.hostId || null;
        this.locked = !!m.locked;
        if (this.role !== "watcher") this.role = this.me && this.me === this.hostId ? "host" : "drawer";
        if (m.participants) this.setParticipants(m.participants);
        this.setReadOnly(this.role === "watcher" || (this.locked && this.role !== "host"));
    },

    /** The read-only flag of the surface: pointer input no longer draws, a stroke in progress stops where it is. */
    setReadOnly(readOnly) {
        this.readOnly = !!readOnly || this.removed;
        if (this.readOnly && this.active) this.active = null;
    },

    /** The host removed this participant: the connection leaves for good and this tab forgets its rejoin token. */
    onRemoved(m) {
        this.removed = true;
        this.setReadOnly(true);
        saveRejoin(this.roomId, null, null);
        this.emit("connection", { state: "disconnected", message: m && m.message ? m.message : "removed" });
        this.connection.stop().catch(() => { });
    },

    seeRevision(r) {
        if (typeof r === "number" && r > this.revision) this.revision = r;
        if (this.gaps) {
            this.gaps.see(r);
            this.resyncOnGap();
        }
    },

    /**
     * A room event never arrived (a revision skipped, with no own call in flight that could bring it): reads the room
     * again by rejoining as the same participant, whose snapshot holds everything up to its revision.
     */
    resyncOnGap() {
        if (this.resyncing || this.removed || !this.gaps || !this.gaps.hasGap(this.changesSent - this.changesSettled)) return;
        this.resyncing = true;
        this.gaps = null; // the snapshot starts a new count
        this.join()
            .catch(e => this.emit("connection", { state: "failed", message: String(e) }))
            .finally(() => { this.resyncing = false; });
    },

    emit(kind, payload) {
        if (this.disposed || !this.dotnet) return;
        this.dotnet.invokeMethodAsync("OnRoomEvent", kind, JSON.stringify(payload)).catch(() => { /* circuit gone */ });
    },

    /** Tells .NET whether the frame on screen shows the newest revision ("upToDate") or one is on its way ("rendering"). */
    emitRenderState() {
        const state = this.frameRevision < 0 ? (this.revision > 0 || this.order.length > 0 ? "rendering" : "idle")
            : this.revision > this.frameRevision ? "rendering" : "upToDate";
        if (state === this.lastRenderState && this.revision === this.lastEmittedRevision) return;
        this.lastRenderState = state;
        this.lastEmittedRevision = this.revision;
        this.emit("renderState", { state, revision: this.revision, frameRevision: this.frameRevision });
    },
};

const REJOIN_KEY = "sanasprint.rejoin.";

/** This tab's earlier participant of the room ({ me, rejoinToken }), or an empty object. */
function loadRejoin(roomId) {
    try {
        const saved = JSON.parse(sessionStorage.getItem(REJOIN_KEY + roomId) || "null");
        return saved && typeof saved.me === "string" && typeof saved.rejoinToken === "string" ? saved : {};
    } catch {
        return {}; // storage disabled or unreadable: join as a new participant
    }
}

function saveRejoin(roomId, me, rejoinToken) {
    try {
        if (me && rejoinToken) sessionStorage.setItem(REJOIN_KEY + roomId, JSON.stringify({ me, rejoinToken }));
        else sessionStorage.removeItem(REJOIN_KEY + roomId);
    } catch {
        // Storage disabled: a reload joins as a new participant.
    }
}

function cleanHubError(e) {
    const text = e && e.message ? e.message : String(e);
    return text.replace(/^.*HubException: /, "");
}
