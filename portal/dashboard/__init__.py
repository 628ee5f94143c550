"""The supervision dashboard: figures, breakdowns, alerts and exports for each viewer's cut."""
