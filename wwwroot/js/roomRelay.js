// roomRelay.js: prompt and settings changes from the page, sent through this browser's hub connection. The page's
// IRoomConnection (JsRoomConnection.cs) calls these; they are the only room state that travels .NET → browser → hub.

/** Methods of the room object that relay the page's prompt and settings (mixed into SketchRoom; `this` is the room). */
export const relayMethods = {
    setPrompt(prompt) { return this.change("SetPrompt", prompt); },

    /** @param {string} settingsJson RoomSettings as JSON (camelCase, enums as names, as the hub's MessagePack carries them). */
    setSettings(settingsJson) { return this.change("SetSettings", JSON.parse(settingsJson)); },
};
