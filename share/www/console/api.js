// The console's only way to the server: JSON over fetch with the session cookie, and one error
// type for the error shapes the APIs answer with (MSS-Login and ComfyUI {"error"}, ComfyUI's
// /prompt {"error": {"message"}}, SwarmUI {"error", "error_id"}, Comfy Cloud {"code", "message"},
// plain text).

/** An API call that failed: `message` is the server's own text, fit to show to a person. */
export class ApiError extends Error {
  constructor(status, message, body = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
    this.code = body.error_id || body.code || "";
  }
}

function errorMessage(status, body) {
  if (typeof body.error === "string" && body.error) return body.error;
  if (body.error && typeof body.error.message === "string") return body.error.message; // ComfyUI's /prompt
  if (typeof body.message === "string" && body.message) return body.message;
  if (status === 0) return "The server cannot be reached. Check your connection and try again.";
  return `The server answered ${status}.`;
}

/**
 * Calls `method path` with `body` as JSON (if given) and returns the parsed answer.
 * SwarmUI routes (/API/...) may report an error with status 200; that is an error here too.
 */
export async function call(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, errorMessage(0, {}));
  }
  const text = await response.text();
  let data = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      // ComfyUI's routes answer some refusals (and files) as plain text.
      data = response.ok ? text : { error: text.slice(0, 200) };
    }
  }
  const swarmError = path.startsWith("/API/") && data && typeof data === "object" && typeof data.error === "string";
  if (response.status === 401) {
    // The shell decides whether this means the session ended (see app.js).
    window.dispatchEvent(new CustomEvent("console:unauthorized", { detail: { path } }));
  }
  if (!response.ok || swarmError) {
    const body = data && typeof data === "object" ? data : {};
    const error = new ApiError(response.status, errorMessage(response.status, body), body);
    if (body.remaining_seconds) error.message += ` (${body.remaining_seconds} s)`;
    throw error;
  }
  return data;
}

export const get = (path) => call("GET", path);
export const post = (path, body = {}) => call("POST", path, body);
export const put = (path, body = {}) => call("PUT", path, body);
export const del = (path, body) => call("DELETE", path, body);

/** The signed-in user (`/mss-login/api/me`); `authenticated` is false for a visitor. */
export const me = () => get("/mss-login/api/me");
