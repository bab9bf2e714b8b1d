// Replaced by the service adapters.
