// sketchCanvas.js: the browser half of a sketch room, loaded by the Room page through JS interop (import).
//
// connect() gives the page one room object that owns a SignalR connection to /hubs/sketch and everything that must be
// fast in the browser: pointer input drawn at once and streamed as point batches (input.js, touch.js, surface.js),
// others' strokes and cursors (remote.js), frames (frames.js) and downloads with PNG text chunks (pngText.js).
// Everything slow (participants list, latency readout) goes to .NET as small JSON events (connection.js). Prompt and
// settings never pass through here: the page sends and receives them on the server; this module only notes their
// revisions (the picture is stale until a newer frame).

import { connectionMethods } from "./connection.js";
import { surfaceMethods } from "./surface.js";
import { inputMethods } from "./input.js";
import { touchMethods } from "./touch.js";
import { remoteMethods } from "./remote.js";
import { frameMethods } from "./frames.js";
import { addPngTextChunks, canvasPng, parseMeta, saveBytes } from "./pngText.js";

const DEFAULT_MAX_POINTS_PER_APPEND = 512;
const DEFAULT_MAX_POINTS_PER_STROKE = 20000;

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
        this.role = "drawer";      // "host", "drawer" or "watcher"
        this.hostId = null;
        this.locked = false;
        this.readOnly = true;      // until the snapshot says this participant may draw
        this.removed = false;
        this.participants = new Map();
        this.cursors = new Map();   // participantId -> { el, timer }
        this.revision = 0;          // newest room revision seen
        this.snapshotRevision = 0;  // stroke events at or below it are already in the snapshot
        this.frameRevision = -1;    // revision of the frame on screen
        this.frame = null;          // the frame on screen (FrameMessage with bytes)
        this.changesSent = 0;       // own changes sent ...
        this.changesSettled = 0;    // ... and acknowledged or failed (the hub answers one connection's calls in order)
        this.held = null;           // a frame shown but not yet reported, waiting for the acknowledgements in flight
        this.frameUrl = null;
        this.framesShown = 0;
        this.pending = [];          // own changes waiting for a frame: { revision, sentAt }
        this.active = null;         // stroke being drawn: { stroke, pointerId, unsent: [], touch, pending (held back) }
        this.touches = new Map();   // fingers on the canvas: pointerId -> { x, y } where it went down
        this.gesture = null;        // the fingers' current gesture: { start, fingers, moved }
        this.penSeen = false;       // a pen touched the canvas on this page
        this.penOnly = true;        // then fingers do not draw (DrawingPreferences.PenOnly)
        this.overlay = false;       // the canvas lies over the frame (DrawingPreferences.Overlay)
        this.tool = Object.assign({ mode: "brush", colour: "#1f1f1f", size: 6 }, options.tool || {});
        this.lastCursorSent = 0;
        this.disposed = false;
        this.resize = this.resize.bind(this);
    }

    async start() {
        const connection = this.openConnection();
        this.attachInput();
        this.resizeObserver = new ResizeObserver(this.resize);
        this.resizeObserver.observe(this.canvas);
        window.addEventListener("resize", this.resize);

        this.emit("connection", { state: "connecting" });
        await connection.start();
        await this.join();
    }

    // ---- Commands from the page ----------------------------------------------------------------------------------

    /** Sets brush or eraser, colour and size: { mode: "brush"|"eraser", colour: "#rrggbb", size: number }. */
    setTool(tool) { Object.assign(this.tool, typeof tool === "string" ? JSON.parse(tool) : tool); }

    /** Sets this browser's preferences: { overlay: bool (paint no background), penOnly: bool (palm rejection) }. */
    setPreferences(preferences) {
        const p = typeof preferences === "string" ? JSON.parse(preferences) : preferences;
        this.overlay = !!p.overlay;
        this.penOnly = p.penOnly !== false;
        this.redraw();
    }

    undo() { return this.readOnly ? Promise.resolve(null) : this.change("Undo"); }

    redo() { return this.readOnly ? Promise.resolve(null) : this.change("Redo"); }

    clear() { return this.readOnly ? Promise.resolve(null) : this.change("Clear"); }

    /** Downloads the sketch at canvas resolution as a PNG with text chunks (prompt, seed, steps, model). */
    async downloadSketch(metaJson, fileName) {
        const png = addPngTextChunks(await canvasPng(this.renderAtCanvasSize()), parseMeta(metaJson));
        saveBytes(png, fileName || `sketch-${this.roomId}.png`);
        return true;
    }

    /** Downloads the frame on screen as a PNG with the frame's own text chunks; false when there is none. */
    async downloadFrame(fileName) {
        const png = await this.framePng();
        if (!png) return false;
        saveBytes(png, fileName || `frame-${this.roomId}-r${this.frameRevision}.png`);
        return true;
    }

    async dispose() {
        this.disposed = true;
        this.detachInput();
        window.removeEventListener("resize", this.resize);
        if (this.resizeObserver) this.resizeObserver.disconnect();
        this.removeCursors();
        if (this.frameUrl) URL.revokeObjectURL(this.frameUrl);
        if (this.connection) await this.connection.stop().catch(() => { });
    }
}

Object.assign(SketchRoom.prototype,
    connectionMethods, surfaceMethods, inputMethods, touchMethods, remoteMethods, frameMethods);
