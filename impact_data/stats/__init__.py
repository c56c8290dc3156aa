"""Pure statistics, no database: SPC, intervals and tests, agreement, disclosure control."""
