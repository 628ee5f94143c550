"""Demo data: a small, realistic Fujian province for trying the portal."""
