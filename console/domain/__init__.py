"""Domain: models, validators and the calendar; no UI, no storage."""
