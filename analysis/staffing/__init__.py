"""Who should be on duty when: demand per hour of the week, shift timing and head-counts."""
