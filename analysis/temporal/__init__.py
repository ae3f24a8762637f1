"""When: hour x weekday profiles (aoristic for from/to windows) and before/after comparisons."""
