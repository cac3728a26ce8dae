// Saves, lists, loads, moves and deletes a workflow through the gateway's userdata routes with
// Node's built-in fetch. Exits 1 on the first failed check; prints "userdata client: ok".
const base = process.env.GATEWAY_URL;
const auth = { Authorization: process.env.GATEWAY_AUTH };
const other = { Authorization: process.env.GATEWAY_OTHER_AUTH };

function check(condition, what) {
  if (!condition) {
    console.log("FAILED: " + what);
    process.exit(1);
  }
}
const fileUrl = (path) => base + "/api/userdata/" + encodeURIComponent(path);

const workflow = { nodes: [{ id: 1, type: "KSampler" }], links: [], version: 0.4 };
let r = await fetch(fileUrl("workflows/node client.json"), { method: "POST", body: JSON.stringify(workflow), headers: auth });
let text = await r.text();
check(r.status === 200 && JSON.parse(text) === "workflows/node client.json", `save: ${r.status} ${text}`);
r = await fetch(base + "/api/userdata?dir=workflows&recurse=true&split=true", { headers: auth });
text = await r.text();
check(r.status === 200 && JSON.stringify(JSON.parse(text)) === '[["node client.json","node client.json"]]', `list: ${text}`);
r = await fetch(fileUrl("workflows/node client.json"), { headers: auth });
text = await r.text();
check(r.status === 200 && JSON.stringify(JSON.parse(text)) === JSON.stringify(workflow), `load: ${r.status} ${text}`);
r = await fetch(fileUrl("workflows/node client.json"), { headers: other });
await r.arrayBuffer();
check(r.status === 404, `other user: ${r.status}`);
r = await fetch(fileUrl("workflows/node client.json") + "/move/" + encodeURIComponent("workflows/node moved.json"),
                { method: "POST", headers: auth });
text = await r.text();
check(r.status === 200 && JSON.parse(text) === "workflows/node moved.json", `move: ${r.status} ${text}`);
r = await fetch(base + "/api/users", { headers: auth });
text = await r.text();
check(r.status === 200 && Object.keys(JSON.parse(text).users).length === 1, `users: ${text}`);
r = await fetch(fileUrl("workflows/node moved.json"), { method: "DELETE", headers: auth });
text = await r.text();
check(r.status === 204 && text === "", `delete: ${r.status} ${text}`);
r = await fetch(base + "/api/v2/userdata", { headers: auth });
text = await r.text();
check(r.status === 200 && !text.includes("node moved.json"), `after delete: ${text}`);
console.log("userdata client: ok");
