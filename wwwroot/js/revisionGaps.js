// revisionGaps.js: whether this connection missed a room event. Every change of a room's picture bumps its revision by
// exactly one, and a connection learns each revision either as an event or as the reply to its own call. A revision that
// never arrives (a message lost between servers, e.g. on a Redis pub/sub backplane, which does not guarantee delivery)
// leaves a hole; once no own call is in flight (whose reply could still fill it), the hole is real and the room must be
// read again.

/** Tracks the revisions seen since a snapshot. */
export class RevisionGaps {
    /** @param {number} from the snapshot's revision */
    constructor(from = 0) {
        this.reset(from);
    }

    /** Starts again from a snapshot's revision (everything up to it is in the snapshot). */
    reset(revision) {
        this.contiguous = revision; // every revision up to here was seen
        this.ahead = new Set();     // revisions seen above a hole
    }

    /** Notes a revision seen in an event or a reply. */
    see(revision) {
        if (typeof revision !== "number" || revision <= this.contiguous) return;
        this.ahead.add(revision);
        while (this.ahead.delete(this.contiguous + 1)) this.contiguous++;
    }

    /** True when a revision is missing and no call in flight can still bring it. */
    hasGap(callsInFlight) {
        return callsInFlight === 0 && this.ahead.size > 0;
    }
}
