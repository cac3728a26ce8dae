// The admin pages (users, permissions, models, IP lists, policies, audit log, overview), in
// the same shape as pages/index.js. Each page's `access` tests the signed-in user's
// permissions (e.g. me.permissions.includes("can_manage_users")); the routes behind them
// check again on the server.
export default [];
