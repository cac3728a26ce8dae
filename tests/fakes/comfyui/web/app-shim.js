// ComfyUI's /scripts/app.js: extension scripts import the running app from here.
export const app = window.comfyAPI.app.app;
