-- Lists filtered by a campaign, a donor or a recipient (issue 15, cost as the books grow): each
-- list walks its own order (donations by receipt, distributions by id) and stopped at the rows
-- that match, so a campaign whose donations are old walked every donation recorded since
-- (measured: 1.2 s for 50 rows at 717k donations on SQLite, 346 ms at 1M on PostgreSQL). These
-- indexes are in the lists' order after the filter's column: the page is the index's first rows.
-- Partial: a donation without a campaign (most) or without a donor (anonymous) adds no entry,
-- so the write path pays only for the rows that the lists look for.
CREATE INDEX donations_by_campaign ON donations (campaign_id, receipt_year, receipt_serial)
    WHERE campaign_id IS NOT NULL;
CREATE INDEX donations_by_donor ON donations (donor_id, receipt_year, receipt_serial)
    WHERE donor_id IS NOT NULL;
CREATE INDEX distributions_by_campaign ON distributions (campaign_id, id)
    WHERE campaign_id IS NOT NULL;
CREATE INDEX distributions_by_recipient ON distributions (recipient_id, id);
