DROP INDEX merchants_tax_code_idx;
DROP TABLE merchant_revenue;
DROP INDEX payments_outside_created_idx;
DROP TABLE reconciliation_resolutions;
DROP FUNCTION reconciliation_resolutions_append_only();
DROP TABLE reconciliation_discrepancies;
DROP TABLE reconciliation_runs;
