"""KPI events: the store features append to, and the summary `sfp kpi` prints."""
