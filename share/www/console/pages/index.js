// The pages every user has, in navigation order. A page is
//   { path, title, summary, nav, access: "public" | "authenticated" | (me) => bool, render(main, context) }
// where render may return a function that the shell calls when the page is left (to close a
// WebSocket, stop a timer). Titles and summaries (one line on the overview) are English and
// translated by the shell.
import home from "./home.js";
import signIn from "./sign-in.js";
import tokens from "./tokens.js";
import security from "./security.js";
import keys from "./keys.js";
import downloads from "./downloads.js";
import workflows from "./workflows.js";

export default [home, downloads, workflows, tokens, keys, security, signIn];
