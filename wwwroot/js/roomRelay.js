// roomRelay.js: prompt and settings changes from the page, sent through this browser's hub connection. The page's
// IRoomConnection (JsRoomConnection.cs) calls these; they are the only room state that travels .NET → browser → hub.

// SanaSprint.Inference.Pipeline.GuidanceMode, in order: the hub's MessagePack protocol carries enums as their numbers.
const GUIDANCE_MODES = ["Text", "ControlNet", "Img2Img"];

/** Methods of the room object that relay the page's prompt and settings (mixed into SketchRoom; `this` is the room). */
export const relayMethods = {
    setPrompt(prompt) { return this.change("SetPrompt", prompt); },

    /** @param {string} settingsJson RoomSettings as JSON (camelCase, enums as names). */
    setSettings(settingsJson) {
        const settings = JSON.parse(settingsJson);
        if (typeof settings.mode === "string") settings.mode = GUIDANCE_MODES.indexOf(settings.mode);
        return this.change("SetSettings", settings);
    },
};
