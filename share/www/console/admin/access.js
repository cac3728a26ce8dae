// Who may open an admin page: the permission its routes need, from /mss-login/api/me.
export const holds = (permission) => (me) => Array.isArray(me.permissions) && me.permissions.includes(permission);

/** Model sharing needs the flag and an owner or admin role, as the comfy-proxy routes check. */
export const sharesModels = (me) => holds("can_manage_model_sharing")(me) && (me.role === "owner" || me.role === "admin");
