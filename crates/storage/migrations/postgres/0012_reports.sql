-- Reports (issue 12): a statement of a period starts from the records dated in it and reaches
-- their journal entries by index, so its cost follows the period's rows, not the whole journal
-- (`storage::reports::MOVEMENTS_SINCE`; the plans and the write cost are in docs/REPORTS.md).
CREATE INDEX journal_entries_by_source ON journal_entries (source_id);
CREATE INDEX donations_by_received_on ON donations (received_on);
CREATE INDEX donation_reversals_by_recorded_at ON donation_reversals (recorded_at);
CREATE INDEX wakaf_benefits_by_received_on ON wakaf_benefits (received_on);
