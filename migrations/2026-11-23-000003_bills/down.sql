DROP TABLE biller_payments;
DROP TABLE insurance_quotes;
DROP TABLE bill_inquiries;
