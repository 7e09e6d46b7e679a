"""The work-item engine: intake, routing, deadlines, actions, privacy and statistics of cases."""
