//! Bills and insurance: bills looked up at EVN and the water companies, insurance
//! contributions quoted for the citizen, the record tying a payment to the bill or
//! quote it pays (and claiming it, so nothing is paid twice), and the receipt a bill or
//! insurance payment shows. The money moves in `payments::bills`.

pub mod inquiries;
pub mod quotes;
pub mod receipts;
pub mod records;
