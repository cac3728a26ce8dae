// comfygate's sign-out for ComfyUI's front end: a command, a menu entry and an action-bar
// button that end the gateway session (/logout revokes it and shows the sign-in page).
import { app } from "../../scripts/app.js";

const commandId = "comfygate.SignOut";

function signOut() {
  window.location.assign("/logout");
}

app.registerExtension({
  name: "comfygate.SignOut",
  commands: [{ id: commandId, label: "Sign out", icon: "pi pi-sign-out", function: signOut }],
  menuCommands: [{ path: ["comfygate"], commands: [commandId] }],
  actionBarButtons: [{ icon: "pi pi-sign-out", label: "Sign out", tooltip: "Sign out of comfygate", onClick: signOut }],
});
