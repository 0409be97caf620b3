// pngText.js: PNG text chunks (tEXt / iTXt) and saving bytes as a download.
//
// Downloads of the sketch and of the frame carry what made them (prompt, seed, steps, model) as PNG text chunks, as
// defined in the PNG specification (section 11.3.4): tEXt for Latin-1 values, iTXt for UTF-8.

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
 * @param {Uint8Array} png
 * @param {Object<string, string>} entries
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

/** Metadata from .NET (JSON or an object) as text entries, leaving out null values. */
export function parseMeta(metaJson) {
    const meta = typeof metaJson === "string" ? JSON.parse(metaJson) : (metaJson || {});
    const out = {};
    for (const [k, v] of Object.entries(meta)) if (v !== null && v !== undefined) out[k] = String(v);
    return out;
}

/** A canvas as PNG bytes. */
export function canvasPng(canvas) {
    return new Promise((resolve, reject) => canvas.toBlob(b => b
        ? b.arrayBuffer().then(a => resolve(new Uint8Array(a)), reject)
        : reject(new Error("the canvas could not be encoded as PNG")), "image/png"));
}

/** Offers PNG bytes to the user as a file download. */
export function saveBytes(bytes, fileName) {
    const url = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = fileName;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}
