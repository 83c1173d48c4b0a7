"""The registry of APIs the gateway fronts: storage, the admin API and the route watcher."""
