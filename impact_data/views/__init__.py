"""Per-screen assembly and wording of figures from `impact_data.measures`."""
