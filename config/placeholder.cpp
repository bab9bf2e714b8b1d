// Replaced by the settings module.
